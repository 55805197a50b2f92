import DemarcBase
import DemarcDecode
/// FLUTE file delivery over ALC (RFC 6726, on RFC 5775's ALC and RFC 5651's LCT
/// header): the LCT header opens with version 1 in the top four bits, the C, S, O and H
/// flags that size the congestion control information, the session id and the object
/// id, and the header's whole length in 32-bit words; header extensions fill the rest of
/// it, each either of fixed four bytes (types 128 and above) or giving its own length in
/// words, and each of a type the RFCs define: NOP 0, AUTH 1 and TIME 2 (RFC 5651 section
/// 5.2), FTI 64 (RFC 5775 section 4.1), FDT 192 and CENC 193 (RFC 6726 section 3.4). A
/// header with extensions (FLUTE's FDT and FTI ones come with the file description table)
/// counts; one without them is too little to tell.
public enum FLUTEInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let b0 = p.u8(0), b0 >> 4 == 1, let b1 = p.u8(1), b1 & 0x0c == 0, let words = p.u8(2) else { return .no }
        let cc = 4 * (Int((b0 >> 2) & 3) + 1)
        let half = Int(b1 >> 4 & 1)
        let tsi = 4 * Int(b1 >> 7) + 2 * half
        let toi = 4 * Int((b1 >> 5) & 3) + 2 * half
        let fixed = 4 + cc + tsi + toi
        let header = 4 * Int(words)
        guard header >= fixed, header <= p.count else { return .no }
        guard header > fixed else { return .notYet }
        var at = fixed, items = 0
        while at < header {
            guard items < 8, let type = p.u8(at), [0, 1, 2, 64, 192, 193].contains(type) else { return .no }
            let length = type >= 128 ? 4 : 4 * Int(p.u8(at + 1) ?? 0)
            guard length > 0 else { return .no }
            at += length
            items += 1
        }
        guard at == header else { return .no }
        c.identify(.flute)
        return .yes
    }
}
