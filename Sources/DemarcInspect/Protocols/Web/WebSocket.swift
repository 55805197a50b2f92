import DemarcBase
import DemarcDecode
/// WebSocket frames seen without their HTTP upgrade (the capture began later): a text
/// frame whose header accounts for the whole segment, and whose text, once unmasked
/// (masking is not encryption: the key travels in the frame), is readable.
public enum WebSocketInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let b0 = p.u8(0), b0 & 0x70 == 0, b0 & 0x0f == 1, let b1 = p.u8(1) else { return .no }
        var off = 2
        var len = Int(b1 & 0x7f)
        if len == 126 {
            guard let l = p.u16(2) else { return .no }
            len = Int(l)
            off = 4
        } else if len == 127 {
            return .no
        }
        let masked = b1 & 0x80 != 0
        let keyAt = off
        if masked { off += 4 }
        guard len >= 8, off + len == p.count else { return .no }
        var readable = 0
        for i in 0..<len {
            var b = p.base[off + i]
            if masked { b ^= p.base[keyAt + (i & 3)] }
            if b >= 0x20 && b != 0x7f || b == 0x09 || b == 0x0a || b == 0x0d { readable += 1 }
        }
        guard readable * 100 >= len * 90 else { return .no }
        c.identify(.websocket)
        return .yes
    }
}
