import DemarcBase
import DemarcDecode
/// Cassandra's CQL native protocol (v3-v5): version (top bit set in responses), flags,
/// stream id, opcode and the body's length, in a 9-byte frame header. Also the nodes'
/// own internode messaging, whose connections open with a 32-bit protocol magic
/// (0xCA552DFA; Cassandra's "Improved Internode Messaging" architecture notes): in
/// clear, since internode encryption runs TLS from the first byte (recognised as TLS).
public enum CassandraInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// The first word of an internode connection's messages.
    static let internodeMagic: UInt32 = 0xCA55_2DFA

    static let requestOpcodes: Set<UInt8> = [0x01, 0x05, 0x07, 0x09, 0x0a, 0x0b, 0x0d, 0x0f]
    static let responseOpcodes: Set<UInt8> = [0x00, 0x02, 0x03, 0x06, 0x08, 0x0c, 0x0e, 0x10]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.index == 0, p.count >= 8, p.u32(0) == internodeMagic {
            c.identify(.cassandra)
            return .yes
        }
        guard let v = p.u8(0), let flags = p.u8(1), flags & 0xe0 == 0, let op = p.u8(4), let len = p.u32(5),
              Int(len) + 9 <= p.count || (p.count >= 1200 && len < 1 << 28) else { return .no }
        let version = v & 0x7f, response = v & 0x80 != 0
        guard (3...5).contains(version), response != c.fromClient,
              (response ? responseOpcodes : requestOpcodes).contains(op) else { return .no }
        c.identify(.cassandra)
        return .yes
    }
}
