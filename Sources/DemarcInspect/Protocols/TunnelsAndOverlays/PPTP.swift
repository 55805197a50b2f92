import DemarcBase
import DemarcDecode
/// PPTP's control connection (RFC 2637, TCP 1723): messages of a length, type 1
/// (control), the magic cookie 0x1A2B3C4D and a control message type (1-15), in clear,
/// host and vendor names included. The tunnel's data travels apart, as GRE version 1
/// carrying PPP that MPPE may encrypt, and is judged there (left unknown).
public enum PPTPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let len = p.u16(0), len >= 16, p.u16(2) == 1, p.u32(4) == 0x1a2b_3c4d, let type = p.u16(8),
              (1...15).contains(type), p.u16(10) == 0 else { return .no }
        c.identify(.pptp, .cleartext)
        // A start-control-connection request or reply names the sender's host and vendor.
        if type <= 2, len >= 156, p.has(0, 156) {
            let host = p.text(28, 64).prefix { $0 != "\0" }, vendor = p.text(92, 64).prefix { $0 != "\0" }
            let named = [host.isEmpty ? nil : "host \(host)", vendor.isEmpty ? nil : "vendor \(vendor)"].compactMap { $0 }
            if !named.isEmpty { c.details().banner = "PPTP " + named.joined(separator: ", ") }
        }
        return .yes
    }
}
