import DemarcBase
import DemarcDecode
/// AMQP: the protocol header ("AMQP", then 0-0-9-1, or 1.0's protocol id: 0 plain,
/// 2 TLS, 3 SASL); or, mid-connection, 0-9-1 frames (type, channel, size, payload and
/// the 0xCE frame end). AMQP 1.0 asking for TLS is an upgrade once the hello follows.
public enum AMQPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "AMQP"), p.count >= 8 {
            guard let id = p.u8(4), id <= 3, let major = p.u8(5), major <= 1 else { return .no }
            c.identify(.amqp, .cleartext, keepInspecting: true)
            return .yes
        }
        guard let type = p.u8(0), [1, 2, 3, 8].contains(type), let size = p.u32(3),
              Int(size) + 8 <= p.count, p.u8(7 + Int(size)) == 0xce else { return .no }
        c.identify(.amqp)
        return .yes
    }
}
