import DemarcBase
import DemarcDecode
/// OVSDB (RFC 7047), Open vSwitch's configuration database protocol: JSON-RPC 1.0 objects
/// over TCP, a client's first request naming one of OVSDB's methods (list_dbs,
/// get_schema, transact, monitor…). The whole switch configuration travels in clear.
public enum OVSDBInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let methods: [StaticString] = [
        "list_dbs\"", "get_schema\"", "transact\"", "monitor\"", "monitor_cond\"", "monitor_cond_since\"",
        "lock\"", "steal\"", "unlock\"", "echo\"", "set_db_change_aware\"", "get_server_id\"", "convert\"",
    ]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == UInt8(ascii: "{") else { return .no }
        // `"method":` and the name, within the first object's opening.
        var i = 1
        let end = min(p.count, 96)
        while i + 9 < end {
            // OVSDB speaks JSON-RPC 1.0: a "jsonrpc" member is version 2.0, someone else's.
            if p.starts(with: "\"jsonrpc\"", at: i) { return .no }
            if p.starts(with: "\"method\":", at: i) {
                var v = i + 9
                while p.u8(v) == 0x20 { v += 1 }
                guard p.u8(v) == UInt8(ascii: "\""), methods.contains(where: { p.starts(with: $0, at: v + 1) }) else { return .no }
                c.identify(.ovsdb, .cleartext)
                return .yes
            }
            i += 1
        }
        return .no
    }
}
