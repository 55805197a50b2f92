import DemarcBase
import DemarcDecode
/// WebSocket frames seen without their HTTP upgrade (the capture began later): a text
/// frame whose header accounts for the whole segment, and whose text, once unmasked
/// (masking is not encryption: the key travels in the frame), is readable: UTF-8, as RFC
/// 6455 section 5.6 requires of text (a character cut at the frame's end aside), nine
/// in ten of its characters printable. Random bytes above 0x7f rarely form UTF-8.
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
        var readable = 0, characters = 0, i = 0
        let body = off
        @inline(__always) func byte(_ k: Int) -> UInt8 {
            masked ? p.base[body + k] ^ p.base[keyAt + (k & 3)] : p.base[body + k]
        }
        while i < len {
            let b = byte(i)
            characters += 1
            if b < 0x80 {
                if b >= 0x20 && b != 0x7f || b == 0x09 || b == 0x0a || b == 0x0d { readable += 1 }
                i += 1
                continue
            }
            // A multi-byte character: its lead byte's count of continuation bytes.
            let more = (0xc2...0xdf).contains(b) ? 1 : (0xe0...0xef).contains(b) ? 2 : (0xf0...0xf4).contains(b) ? 3 : -1
            guard more > 0 else { return .no }
            for k in 1...more where i + k < len {
                guard byte(i + k) & 0xc0 == 0x80 else { return .no }
            }
            readable += 1
            i += 1 + more
        }
        guard readable * 100 >= characters * 90 else { return .no }
        c.identify(.websocket)
        return .yes
    }
}
