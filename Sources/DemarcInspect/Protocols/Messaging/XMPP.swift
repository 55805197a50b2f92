import DemarcBase
import DemarcDecode
/// XMPP: the XML stream header; <starttls/> then a TLS hello upgrades.
public enum XMPPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "<?xml") || p.starts(with: "<stream:stream") else { return .no }
        let head = p.text(0, min(p.count, 512))
        guard head.contains("stream") || c.port(5222) || c.port(5269) else { return .no }
        c.identify(.xmpp, .cleartext, keepInspecting: true)
        return .yes
    }
}
