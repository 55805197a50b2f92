import DemarcBase
import DemarcDecode
/// An inspector of a cleartext protocol that may upgrade in band to TLS: after it claims
/// the flow, each later packet is watched for the TLS hello that starts the upgrade.
public protocol UpgradesToTLS: ProtocolInspector {}

extension UpgradesToTLS {
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        _ = Upgrade.tlsStarts(&c, p)
    }
}

/// In-band upgrades to TLS (STARTTLS and its kin, CONNECT tunnels, database SSL
/// requests): once a TLS hello follows, the flow is encrypted and TLS is parsed on.
enum Upgrade {
    static let tlsOwner = PayloadInspector.owner(of: TLSInspector.self)

    static func tlsStarts(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        guard p.u8(0) == 0x16, p.u8(1) == 0x03, let hs = p.u8(5), hs == 1 || hs == 2 else { return false }
        c.state.upgraded = true
        c.state.state = .encrypted
        c.state.basis = .protocol
        c.state.owner = tlsOwner
        c.state.active = true
        TLSInspector.follow(&c, p)
        return true
    }
}
