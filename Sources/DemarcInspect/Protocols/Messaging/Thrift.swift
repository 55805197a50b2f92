import DemarcBase
import DemarcDecode
/// Apache Thrift's binary protocol in its strict form (Thrift's "Binary protocol
/// encoding" specification, "Message"): a message opens with the version word 0x8001,
/// a zero byte and the message type (call 1, reply 2, exception 3, oneway 4), then the
/// method name as a 32-bit length and its bytes, then the sequence id. The framed
/// transport puts the message's length in four bytes before it.
public enum ThriftInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = p.u32(0).map { Int($0) == p.count - 4 } ?? false
        guard isMessage(p, at: 0) || (framed && isMessage(p, at: 4)) else { return .no }
        c.identify(.thrift)
        return .yes
    }

    static func isMessage(_ p: Bytes, at: Int) -> Bool {
        guard p.u16(at) == 0x8001, p.u8(at + 2) == 0, let type = p.u8(at + 3), type >= 1 && type <= 4,
              let n = p.u32(at + 4), n >= 1 && n <= 128, p.has(at + 8 + Int(n), 4),
              p.isPrintableASCII(at + 8, Int(n)) else { return false }
        return true
    }
}
