import DemarcBase
import DemarcDecode
enum BER {
    /// A BER length at `off`: (length, bytes the length field took).
    static func length(_ p: Bytes, at off: Int) -> (Int, Int)? {
        guard let first = p.u8(off) else { return nil }
        if first < 0x80 { return (Int(first), 1) }
        let n = Int(first & 0x7f)
        guard n >= 1 && n <= 4 else { return nil }
        var v = 0
        for i in 1...n {
            guard let b = p.u8(off + i) else { return nil }
            v = v << 8 | Int(b)
        }
        return (v, 1 + n)
    }
}
