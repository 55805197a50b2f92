import DemarcBase
import DemarcDecode
/// Just enough HPACK (RFC 7541) to read a request's method, authority and path from the
/// first HEADERS frame of a cleartext HTTP/2 connection: integers, string literals
/// (plain or Huffman-coded), the static table's request entries, and the dynamic
/// entries the block itself adds. Every read is bounded by the block.
enum HPACK {
    struct Request {
        var method: String?
        var authority: String?
        var path: String?
    }

    /// Code length in bits of each symbol, 0-255 and EOS (RFC 7541 Appendix B). The code
    /// is canonical (within a length, codes follow symbol order, each length starting
    /// where the shorter one ended), so the lengths define it completely.
    static let codeLengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30
    ]

    /// Canonical decoding tables: per code length, its first code, how many codes have
    /// it, and where its symbols start in `symbols` (ordered by length, then symbol).
    struct Canonical {
        var firstCode = [UInt32](repeating: 0, count: 31)
        var count = [UInt32](repeating: 0, count: 31)
        var firstIndex = [Int](repeating: 0, count: 31)
        var symbols: [UInt16] = []

        init(lengths: [UInt8]) {
            symbols = (0..<UInt16(lengths.count)).sorted { (lengths[Int($0)], $0) < (lengths[Int($1)], $1) }
            var code: UInt32 = 0
            var index = 0
            for len in 1...30 {
                firstCode[len] = code
                firstIndex[len] = index
                let n = lengths.lazy.filter { Int($0) == len }.count
                count[len] = UInt32(n)
                index += n
                code = (code + UInt32(n)) << 1
            }
        }
    }

    static let canonical = Canonical(lengths: codeLengths)

    /// Huffman-coded bytes to text; nil if they are not a valid code (EOS inside,
    /// padding longer than 7 bits or not all ones).
    static func huffman(_ b: Bytes) -> [UInt8]? {
        let t = canonical
        var out: [UInt8] = []
        out.reserveCapacity(b.count * 8 / 5)
        var code: UInt32 = 0
        var len = 0
        for i in 0..<b.count {
            let byte = b.base[i]
            for bit in stride(from: 7, through: 0, by: -1) {
                code = code << 1 | UInt32((byte >> UInt8(bit)) & 1)
                len += 1
                if code &- t.firstCode[len] < t.count[len] {
                    let sym = t.symbols[t.firstIndex[len] + Int(code - t.firstCode[len])]
                    guard sym < 256 else { return nil }
                    out.append(UInt8(sym))
                    code = 0
                    len = 0
                } else if len >= 30 {
                    return nil
                }
            }
        }
        guard len < 8, code == (1 << UInt32(len)) - 1 else { return nil }
        return out
    }

    /// An integer with an N-bit prefix (RFC 7541 §5.1), at most 2^28.
    static func integer(_ b: Bytes, _ off: inout Int, prefix: Int) -> Int? {
        guard let first = b.u8(off) else { return nil }
        off += 1
        let max = (1 << prefix) - 1
        var v = Int(first) & max
        guard v == max else { return v }
        var shift = 0
        while let next = b.u8(off) {
            off += 1
            v += Int(next & 0x7f) << shift
            shift += 7
            if next & 0x80 == 0 { return v }
            if shift > 21 { return nil }
        }
        return nil
    }

    /// A string literal (§5.2), at most 8 KB.
    static func string(_ b: Bytes, _ off: inout Int) -> String? {
        guard let h = b.u8(off), let len = integer(b, &off, prefix: 7), len <= 8192, b.has(off, len) else { return nil }
        let raw = b.slice(off, len)
        off += len
        if h & 0x80 != 0 {
            guard let text = huffman(raw) else { return nil }
            return String(decoding: text, as: UTF8.self)
        }
        return raw.text(0, len)
    }

    /// Static table entries a request's pseudo-headers use (§A): index → (name, value).
    static func staticEntry(_ i: Int) -> (name: String, value: String?)? {
        switch i {
        case 1: return (":authority", nil)
        case 2: return (":method", "GET")
        case 3: return (":method", "POST")
        case 4: return (":path", "/")
        case 5: return (":path", "/index.html")
        case 38: return ("host", nil)
        case 1...61: return ("", nil)
        default: return nil
        }
    }

    /// The request pseudo-headers of a header block that starts a connection.
    static func request(_ block: Bytes) -> Request {
        var r = Request()
        var dynamic: [(name: String, value: String)] = []   // newest first
        var off = 0
        func entry(_ i: Int) -> (name: String, value: String?)? {
            if let s = staticEntry(i) { return s }
            let d = i - 62
            return d >= 0 && d < dynamic.count ? (dynamic[d].name, dynamic[d].value) : nil
        }
        func set(_ name: String, _ value: String?) {
            guard let value else { return }
            switch name {
            case ":method": r.method = r.method ?? value
            case ":authority", "host": r.authority = r.authority ?? value
            case ":path": r.path = r.path ?? value
            default: break
            }
        }
        while off < block.count {
            let b = block.base[off]
            if b & 0x80 != 0 {
                // Indexed field.
                guard let i = integer(block, &off, prefix: 7), let e = entry(i) else { break }
                set(e.name, e.value)
            } else if b & 0xe0 == 0x20 {
                // Dynamic table size update.
                guard integer(block, &off, prefix: 5) != nil else { break }
            } else {
                // Literal: with incremental indexing (01), without (0000), never indexed (0001).
                let indexing = b & 0xc0 == 0x40
                guard let i = integer(block, &off, prefix: indexing ? 6 : 4) else { break }
                let name: String
                if i == 0 {
                    guard let n = string(block, &off) else { break }
                    name = n
                } else {
                    guard let e = entry(i) else { break }
                    name = e.name
                }
                guard let value = string(block, &off) else { break }
                set(name, value)
                if indexing { dynamic.insert((name, value), at: 0) }
            }
        }
        return r
    }

    /// The first HEADERS frame among HTTP/2 frames starting at `start`: its request.
    static func firstRequest(_ p: Bytes, from start: Int) -> Request? {
        var off = start
        while p.has(off, 9) {
            let len = Int(p.base[off]) << 16 | Int(p.base[off + 1]) << 8 | Int(p.base[off + 2])
            let type = p.base[off + 3], flags = p.base[off + 4]
            let body = p.slice(off + 9, len)
            if type == 1 {
                var s = 0, e = body.count
                if flags & 0x08 != 0 { s = 1; e -= Int(body.u8(0) ?? 0) }
                if flags & 0x20 != 0 { s += 5 }
                guard s <= e else { return nil }
                return request(body.slice(s, e - s))
            }
            off += 9 + len
        }
        return nil
    }
}
