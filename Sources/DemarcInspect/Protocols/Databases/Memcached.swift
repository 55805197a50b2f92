import DemarcBase
import DemarcDecode
/// Memcached: the binary protocol (magic 0x80 request, 0x81 response, 24-byte header
/// whose body length covers the rest), or the text protocol's commands on its port.
public enum MemcachedInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let commands: [StaticString] = ["get ", "gets ", "set ", "add ", "replace ", "append ", "prepend ", "cas ",
                                           "delete ", "incr ", "decr ", "touch ", "gat ", "gats ", "stats", "version",
                                           "flush_all", "verbosity ", "mg ", "ms ", "md ", "ma ", "mn\r"]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        // UDP adds an 8-byte frame header (request id, sequence, count, reserved).
        let off = c.isUDP ? 8 : 0
        if c.isUDP && !(p.u16(4) ?? 0 > 0 && p.u16(6) == 0) { return .no }
        if let magic = p.u8(off), magic == 0x80 || magic == 0x81, let op = p.u8(off + 1), op <= 0x48,
           let keyLen = p.u16(off + 2), let extras = p.u8(off + 4), p.u8(off + 5) == 0, let body = p.u32(off + 8),
           Int(body) + 24 + off == p.count, Int(keyLen) + Int(extras) <= Int(body) {
            c.identify(.memcached)
            return .yes
        }
        guard c.port(11211), commands.contains(where: { p.starts(with: $0, at: off) }),
              let nl = p.find(0x0a, from: off, limit: 2048), p.u8(nl - 1) == 0x0d else { return .no }
        c.identify(.memcached)
        return .yes
    }
}
