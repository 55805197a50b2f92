import DemarcBase
import DemarcDecode
/// Apache JServ Protocol 1.3: packets from the web server open with 0x12 0x34, those from
/// the servlet container with "AB", then a 16-bit length of the data that follows, whose
/// first byte is the message type (forward request 2, shutdown 7, ping 8, CPing 10; send
/// body chunk 3, send headers 4, end response 5, get body chunk 6, CPong 9). Packets
/// laid end to end fill the segment.
public enum AJPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let toContainer = c.fromClient
        let framed = Framing.fills(p, limit: 16) { at in
            guard let magic = p.u16(at), magic == (toContainer ? 0x1234 : 0x4142), let len = p.u16(at + 2),
                  len >= 1, let type = p.u8(at + 4) else { return nil }
            let known = toContainer ? [2, 7, 8, 10].contains(type) : (3...6).contains(type) || type == 9
            return known || (toContainer && at > 0) ? 4 + Int(len) : nil
        }
        guard framed else { return .no }
        c.identify(.ajp)
        return .yes
    }
}
