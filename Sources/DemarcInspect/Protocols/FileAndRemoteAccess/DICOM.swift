import DemarcBase
import DemarcDecode
/// DICOM's upper layer protocol, which medical imaging devices and archives speak over TCP
/// (DICOM PS3.8, section 9.3 "DICOM Upper Layer Protocol for TCP/IP Data Units
/// Structure"): each PDU is a type byte, a reserved byte, a 4-byte big-endian length of
/// what follows, then its body. An association opens with an A-ASSOCIATE-RQ (type 1) and
/// its answer, an A-ASSOCIATE-AC (type 2), both laid out alike (9.3.2, 9.3.3): protocol
/// version 1, two reserved bytes, the called and calling AE titles (16 bytes each, text in
/// a request), 32 reserved bytes, then the variable items, the first of which is the
/// application context item (type 0x10, a reserved byte, its 2-byte length) naming a UID
/// under DICOM's root "1.2.840.10008.". Met mid-stream, a P-DATA-TF (type 4, 9.3.5) whose
/// length fills the segment and whose presentation data values fill the PDU (each a
/// 4-byte length, an odd presentation context id and a message control header of two
/// flag bits) names it too. Such a PDU names the protocol; datasets travel in clear
/// (DICOM's secure transport is TLS, which the TLS inspector claims first).
public enum DICOMInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let type = p.u8(0), p.u8(1) == 0, let length = p.u32(2), length >= 4, length < 1 << 24
        else { return .no }
        switch type {
        case 1, 2:
            guard p.u16(6) == 1, p.u8(74) == 0x10, p.u8(75) == 0, let item = p.u16(76), item >= 14, item <= 64,
                  Int(length) >= 68 + 4 + Int(item), p.starts(with: "1.2.840.10008.", at: 78),
                  type == 2 || p.isPrintableASCII(10, 32)
            else { return .no }
        case 4:
            guard Int(length) == p.count - 6,
                  Framing.fills(p, from: 6, limit: 16, { at in
                      guard let n = p.u32(at), n >= 2, n <= length - 4, let id = p.u8(at + 4), id & 1 == 1,
                            let control = p.u8(at + 5), control <= 3 else { return nil }
                      return Int(n) + 4
                  })
            else { return .no }
        default:
            return .no
        }
        c.identify(.dicom)
        return .yes
    }
}
