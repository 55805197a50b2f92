import DemarcBase
import DemarcDecode
/// Keccak-256 as Ethereum uses it: the Keccak-f[1600] permutation (FIPS 202 section 3)
/// with a rate of 136 bytes and the original Keccak padding (a 0x01 byte, zeros, and
/// 0x80 on the block's last byte), not SHA3-256's 0x06. Ethereum's node discovery signs
/// and hashes its packets with it, and the hash at a packet's head is the one check that
/// tells them from random bytes (`EthereumInspector`).
enum Keccak256 {
    /// The 24 rounds' constants (FIPS 202 section 3.2.5).
    static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808a, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808b, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008a, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000a,
        0x0000_0000_8000_808b, 0x8000_0000_0000_008b, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800a, 0x8000_0000_8000_000a,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    /// Each lane's rotation in ρ, by lane index x + 5y (FIPS 202 section 3.2.2).
    static let rotations: [UInt64] = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39,
                                      41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
    static let rate = 136

    /// The permutation on 25 lanes (little-endian 64-bit words, lane x + 5y).
    static func permute(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for rc in roundConstants {
            // θ
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotate(c[(x + 1) % 5], 1)
                for y in stride(from: 0, to: 25, by: 5) { a[x + y] ^= d }
            }
            // ρ and π: lane (x, y) moves to (y, 2x + 3y).
            for x in 0..<5 {
                for y in 0..<5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = rotate(a[x + 5 * y], rotations[x + 5 * y])
                }
            }
            // χ
            for y in stride(from: 0, to: 25, by: 5) {
                for x in 0..<5 { a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]) }
            }
            // ι
            a[0] ^= rc
        }
    }

    @inline(__always)
    static func rotate(_ v: UInt64, _ n: UInt64) -> UInt64 { n == 0 ? v : (v << n) | (v >> (64 - n)) }

    /// The 32-byte digest of `length` bytes of `p` from `offset` (which the caller has
    /// bounds-checked).
    static func digest(_ p: Bytes, from offset: Int, length: Int) -> [UInt8] {
        var state = [UInt64](repeating: 0, count: 25)
        var block = [UInt8](repeating: 0, count: rate)
        var at = 0
        while true {
            let n = min(rate, length - at)
            for i in 0..<rate { block[i] = i < n ? p.base[offset + at + i] : 0 }
            at += n
            let last = n < rate
            if last {
                block[n] ^= 0x01
                block[rate - 1] ^= 0x80
            }
            for lane in 0..<(rate / 8) {
                var w: UInt64 = 0
                for k in 0..<8 { w |= UInt64(block[lane * 8 + k]) << (8 * UInt64(k)) }
                state[lane] ^= w
            }
            permute(&state)
            if last { break }
        }
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { out[i] = UInt8(truncatingIfNeeded: state[i / 8] >> (8 * UInt64(i % 8))) }
        return out
    }

    /// Whether the 32 bytes at `p`'s start are the Keccak-256 of everything after them.
    static func headsItsOwnHash(_ p: Bytes) -> Bool {
        guard p.count > 32 else { return false }
        let d = digest(p, from: 32, length: p.count - 32)
        for i in 0..<32 where d[i] != p.base[i] { return false }
        return true
    }
}
