import DemarcBase
import DemarcDecode
/// Elasticsearch's node-to-node transport protocol (TCP 9300): each message opens with
/// "ES" and the length of what follows (a ping is "ES" and -1), then a request id, a
/// status byte and the sender's version. Without TLS configured, everything (actions,
/// documents, the security realm's tokens) travels readable: cleartext.
public enum ElasticsearchTransportInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "ES"), let len = p.u32(2) else { return .no }
        if len == 0xffff_ffff {
            guard p.count == 6 else { return .no }   // a ping
        } else {
            // The message fills the segment, or goes on past a full one; the header (id,
            // status, version) must be there.
            guard len >= 13, Int(len) + 6 == p.count || (Int(len) + 6 > p.count && p.count >= 1200) else { return .no }
            guard let status = p.u8(14), status & 0xf0 == 0 else { return .no }
        }
        c.identify(.elasticsearch)
        return .yes
    }
}
