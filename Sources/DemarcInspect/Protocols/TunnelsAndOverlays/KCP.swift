import DemarcBase
import DemarcDecode
/// KCP, the ARQ protocol games and tunnels run over UDP: each datagram is one or more
/// segments, each a 24-byte little-endian header (conversation id, command 81-84 for push,
/// ack, window probe and window answer, fragment, window, timestamp, sequence, unacked
/// and the data's length) and its data; the segments fill the datagram exactly and share
/// one conversation. KCP encrypts nothing: its data is what the application sends, judged
/// by its bytes (readable: cleartext; random-looking: the application's own encryption,
/// left unknown).
public enum KCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let conv = p.u32le(0), p.count >= 24 else { return .no }
        var off = 0
        var data: Bytes?
        while off < p.count {
            guard p.u32le(off) == conv, let cmd = p.u8(off + 4), (81...84).contains(cmd), let len = p.u32le(off + 20),
                  off + 24 + Int(len) <= p.count else { return .no }
            if cmd == 81, len >= 32, data == nil { data = p.slice(off + 24, Int(len)) }
            off += 24 + Int(len)
        }
        let opaque = data.map { Heuristic.classifyBody($0) == .random } ?? false
        c.identify(.kcp, opaque ? .unknown : .cleartext)
        return .yes
    }
}
