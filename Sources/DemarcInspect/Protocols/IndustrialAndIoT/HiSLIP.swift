import DemarcBase
import DemarcDecode
/// HiSLIP, the IVI Foundation's instrument protocol (IVI-6.1, section 2.5): messages of a
/// 16-byte header, the prologue "HS", a message type (0 Initialize to 27), a control
/// code, a 4-byte parameter and a 64-bit payload length, then that payload; messages
/// laid end to end fill the segment. HiSLIP 2.0 secures a connection with TLS after
/// AsyncStartTLS (message type 22): the TLS hello that follows upgrades the flow.
public enum HiSLIPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard p.starts(with: "HS", at: at), let type = p.u8(at + 2), type <= 27,
                  let len = p.u64(at + 8), len <= 1 << 20 else { return nil }
            return 16 + Int(len)
        }
        guard framed else { return .no }
        c.identify(.hislip, .cleartext, keepInspecting: true)
        return .yes
    }
}
