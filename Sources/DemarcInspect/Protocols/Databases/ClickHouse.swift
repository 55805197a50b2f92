import DemarcBase
import DemarcDecode
/// ClickHouse's native TCP protocol (ClickHouse documentation, "Native protocol": client
/// and server packets), whose handshake opens with a Hello each way: packet type 0 (an
/// unsigned LEB128 varint), the implementation's name as a string (a varint length, then
/// its bytes), the major and minor versions and the TCP protocol revision as varints
/// (five digits: 54451 in the documentation's example). The client's Hello ends with the
/// database, user and password strings, which fill its packet; the server's goes on with
/// its time zone, a printable string, from revision 54058. Each Hello counts only from its
/// own side. Unless the connection is TLS (the secure port 9440, which the TLS inspector
/// claims first), every query and its data travel in clear.
public enum ClickHouseInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0, let name = string(p, at: 1, printable: true), name.length > 0,
              let major = varint(p, at: name.end), major.value < 1000,
              let minor = varint(p, at: major.end), minor.value < 1000,
              let revision = varint(p, at: minor.end), revision.value >= 50_000, revision.value < 100_000
        else { return .no }
        guard c.fromClient ? clientHello(p, from: revision.end) : serverHello(p, from: revision.end, revision.value)
        else { return .no }
        c.identify(.clickhouse)
        return .yes
    }

    /// The client's database, user and password strings, ending on the packet's last byte.
    static func clientHello(_ p: Bytes, from at: Int) -> Bool {
        guard let database = string(p, at: at, printable: true),
              let user = string(p, at: database.end, printable: true), user.length > 0,
              let password = string(p, at: user.end, printable: false) else { return false }
        return password.end == p.count
    }

    /// The server's time zone ("UTC", "Europe/Berlin"), sent from revision 54058 on.
    static func serverHello(_ p: Bytes, from at: Int, _ revision: Int) -> Bool {
        guard revision >= 54058 else { return at == p.count }
        guard let zone = string(p, at: at, printable: true) else { return false }
        return zone.length > 0
    }

    /// An unsigned LEB128 varint of at most three bytes (below 2^21).
    static func varint(_ p: Bytes, at: Int) -> (value: Int, end: Int)? {
        var value = 0
        for i in 0..<3 {
            guard let b = p.u8(at + i) else { return nil }
            value |= Int(b & 0x7f) << (7 * i)
            if b < 0x80 { return (value, at + i + 1) }
        }
        return nil
    }

    /// A string of under 256 bytes after its varint length, all printable when asked.
    static func string(_ p: Bytes, at: Int, printable: Bool) -> (length: Int, end: Int)? {
        guard let n = varint(p, at: at), n.value < 256, p.has(n.end, n.value),
              !printable || p.isPrintableASCII(n.end, n.value) else { return nil }
        return (n.value, n.end + n.value)
    }
}
