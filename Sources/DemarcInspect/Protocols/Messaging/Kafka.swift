import DemarcBase
import DemarcDecode
/// Kafka: a request is a 4-byte size covering the rest, API key, API version,
/// correlation id and a client id (a length-prefixed string, or -1).
public enum KafkaInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient else { return c.index == 0 ? .notYet : .no }
        guard let size = p.u32(0), Int(size) + 4 <= p.count || (size < 1 << 24 && p.count >= 1024), size >= 10,
              let api = p.u16(4), api <= 100, let version = p.u16(6), version <= 30,
              let idLen = p.u16(12) else { return .no }
        if idLen != 0xffff {
            // The client id: short, printable.
            guard idLen <= 255, p.isPrintableASCII(14, Int(idLen)) else { return .no }
        }
        c.identify(.kafka)
        return .yes
    }
}
