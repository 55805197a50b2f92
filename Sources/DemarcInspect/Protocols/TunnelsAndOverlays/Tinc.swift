import DemarcBase
import DemarcDecode
/// tinc VPN's meta connection: an ID line ("0 name 17.7"), then the key exchange, after
/// which everything is encrypted (like SSH after its banners).
public enum TincInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.index == 0, p.starts(with: "0 "), let nl = p.find(0x0a, from: 2, limit: 80) else { return .no }
        // "0 NAME 17" or "0 NAME 17.MINOR": a node name of letters, digits and underscores.
        var i = 2
        while let b = p.u8(i), b == 0x5f || (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) {
            i += 1
        }
        guard i > 2, p.starts(with: " 17", at: i) else { return .no }
        i += 3
        if p.u8(i) == 0x2e { i += 1; while let b = p.u8(i), (0x30...0x39).contains(b) { i += 1 } }
        guard i == nl else { return .no }
        c.identify(.tinc, .encrypted)
        c.details().banner = p.text(0, nl)
        return .yes
    }
}
