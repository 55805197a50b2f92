import DemarcBase
import DemarcDecode
/// NATS (core protocol): the server opens with `INFO {json}`, the client answers
/// `CONNECT {json}`, then PUB/SUB/MSG lines in clear. A server that requires TLS says so
/// in its INFO and the client's TLS hello follows: encrypted from there (`upgraded`).
/// A capture that missed the INFO still shows the client's CONNECT.
public enum NATSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if !c.fromClient, p.starts(with: "INFO {"), p.find(UInt8(ascii: "}"), from: 6, limit: 4096) != nil,
           mentions(p, key: "\"server_id\"") {
            c.identify(.nats, .cleartext, keepInspecting: true)
            return .yes
        }
        if c.fromClient, p.starts(with: "CONNECT {"), mentions(p, key: "\"verbose\"") || mentions(p, key: "\"protocol\"") {
            c.identify(.nats, .cleartext)
            return .yes
        }
        return .no
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        // The client's CONNECT in clear: no upgrade is coming.
        if c.fromClient { c.state.active = false }
    }

    /// The message (its first 4 KB) holds `key`, a quoted JSON member name.
    static func mentions(_ p: Bytes, key: StaticString) -> Bool {
        let n = key.utf8CodeUnitCount
        var i = 0
        let limit = min(p.count, 4096) - n
        while i <= limit, let at = p.find(key.utf8Start[0], from: i, limit: limit - i + 1) {
            if p.starts(with: key, at: at) { return true }
            i = at + 1
        }
        return false
    }
}
