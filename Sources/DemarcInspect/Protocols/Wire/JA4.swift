import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// JA4, the TLS client fingerprint (FoxIO, BSD-3-Clause): `a_b_c` where `a` is transport
/// (`t` TCP, `q` QUIC, `d` DTLS), version, `d`/`i` for the server_name extension present
/// or not, the counts of cipher suites and extensions (GREASE left out, at most 99) and
/// the first ALPN value's first and last characters; `b` the first 12 hex digits of SHA-256 over the sorted
/// cipher suites; `c` the same over the sorted extensions without SNI and ALPN, then `_`
/// and the signature algorithms in wire order. JA4S and the rest of JA4+ are under the
/// FoxIO License and are not computed.
enum JA4 {
    /// GREASE values (RFC 8701): 0x?a?a with both bytes equal.
    static func isGrease(_ v: UInt16) -> Bool { v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff }

    /// `a_b_c`: 10 + 1 + 12 + 1 + 12 bytes.
    static let width = 36

    /// The fingerprint, written into a fixed buffer: code points are sorted as `UInt16`s
    /// and their hex text is hashed from a byte buffer, without intermediate strings.
    /// With a cache, looked up first by its `a` part and the lists as the hashes read
    /// them, GREASE left out, in wire order: clients send the same hello over and over,
    /// and a hit spares the sort, the text, the hashes and the string. A client that
    /// permutes its extensions (Chrome) misses there and finds its lists' sorted text in
    /// the cache instead.
    static func fingerprint(_ h: TLSHello.Hello, transport: Unicode.Scalar, cache: JA4Cache? = nil) -> String {
        // `a` (10 bytes) is a local of each path, passed in, not captured: a captured
        // variable would be checked for exclusive access at run time.
        func build(_ prefix: (UInt64, UInt16)) -> String {
            String(unsafeUninitializedCapacity: width) { out in
                let p = out.baseAddress!
                withUnsafeBytes(of: prefix) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: 10) }
                p[10] = UInt8(ascii: "_")
                hashSorted(h.cipherSuites, then: [], into: p + 11, cache: cache)
                p[23] = UInt8(ascii: "_")
                hashSorted(h.extensions, then: h.signatureAlgorithms, into: p + 24, dropSNIAndALPN: true, cache: cache)
                return width
            }
        }
        guard let cache else {
            var a: (UInt64, UInt16) = (0, 0)
            let ciphers = h.cipherSuites.reduce(0) { isGrease($1) ? $0 : $0 + 1 }
            let extensions = h.extensions.reduce(0) { isGrease($1) ? $0 : $0 + 1 }
            withUnsafeMutableBytes(of: &a) {
                writePrefix(h, transport: transport, ciphers: ciphers, extensions: extensions,
                            sni: h.extensions.contains(0x0000), into: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            return build(a)
        }
        // The key: `a` (five 16-bit slots), the count of kept cipher suites and the suites,
        // the count of kept extensions and the extensions, then the signature algorithms;
        // the counts keep the three lists apart. `a`'s counts are taken on the way.
        let capacity = 7 + h.cipherSuites.count + h.extensions.count + h.signatureAlgorithms.count
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: capacity) { key in
            var a: (UInt64, UInt16) = (0, 0)
            var n = 5, sni = false, dropped = 0
            func list(_ codes: [UInt16], counted: Bool, dropSNIAndALPN: Bool) -> Int {
                let at = n
                if counted { n += 1 }
                for c in codes where !isGrease(c) {
                    if dropSNIAndALPN && (c == 0x0000 || c == 0x0010) {
                        sni = sni || c == 0x0000
                        dropped += 1
                        continue
                    }
                    key[n] = c; n += 1
                }
                let kept = n - at - (counted ? 1 : 0)
                if counted { key[at] = UInt16(truncatingIfNeeded: kept) }
                return kept
            }
            let ciphers = list(h.cipherSuites, counted: true, dropSNIAndALPN: false)
            let extensions = list(h.extensions, counted: true, dropSNIAndALPN: true)
            _ = list(h.signatureAlgorithms, counted: false, dropSNIAndALPN: false)
            withUnsafeMutableBytes(of: &a) {
                writePrefix(h, transport: transport, ciphers: ciphers, extensions: extensions + dropped,
                            sni: sni, into: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            withUnsafeBytes(of: a) { UnsafeMutableRawPointer(key.baseAddress!).copyMemory(from: $0.baseAddress!, byteCount: 10) }
            let bytes = UnsafeRawBufferPointer(start: key.baseAddress!, count: 2 * n)
            if let hit = cache.fingerprints.find(bytes) { return hit }
            let fp = build(a)
            cache.fingerprints.insert(bytes, fp)
            return fp
        }
    }

    /// `a`, the first 10 bytes: transport, version, SNI, the counts of cipher suites and
    /// extensions (GREASE left out) and ALPN.
    private static func writePrefix(_ h: TLSHello.Hello, transport: Unicode.Scalar, ciphers: Int, extensions: Int,
                                    sni: Bool, into p: UnsafeMutablePointer<UInt8>) {
        var version: UInt16? = nil
        for v in h.supportedVersions where !isGrease(v) { version = max(version ?? v, v) }
        let v: StaticString
        switch version ?? h.legacyVersion {
        case 0x0304: v = "13"
        case 0x0303: v = "12"
        case 0x0302: v = "11"
        case 0x0301: v = "10"
        case 0x0300: v = "s3"
        case 0x0002: v = "s2"
        case 0xfeff: v = "d1"
        case 0xfefd: v = "d2"
        case 0xfefc: v = "d3"
        default: v = "00"
        }
        p[0] = transport.isASCII ? UInt8(transport.value) : UInt8(ascii: "?")
        p[1] = v.utf8Start[0]; p[2] = v.utf8Start[1]
        // `d` where the server_name extension is present, whether or not its name reads.
        p[3] = sni ? UInt8(ascii: "d") : UInt8(ascii: "i")
        let nc = min(ciphers, 99), ne = min(extensions, 99)
        p[4] = UInt8(ascii: "0") + UInt8(nc / 10); p[5] = UInt8(ascii: "0") + UInt8(nc % 10)
        p[6] = UInt8(ascii: "0") + UInt8(ne / 10); p[7] = UInt8(ascii: "0") + UInt8(ne % 10)
        (p[8], p[9]) = alpnBytes(h.firstALPN)
    }

    /// Sorts 16-bit values in two counting passes, low byte then high byte, through a
    /// scratch buffer: linear in the count, where the standard library's generic merge
    /// sort costs several hundred instructions per value on a hello's long lists.
    static func radixSort(_ v: UnsafeMutableBufferPointer<UInt16>) {
        let n = v.count
        guard n > 1, let values = v.baseAddress else { return }
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: n) { scratch in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 512) { starts in
                let tmp = scratch.baseAddress!, low = starts.baseAddress!, high = low + 256
                low.initialize(repeating: 0, count: 512)
                // One counting pass serves both bytes.
                for i in 0..<n {
                    let x = values[i]
                    low[Int(x & 0xff)] &+= 1
                    high[Int(x >> 8)] &+= 1
                }
                var sumLow: Int32 = 0, sumHigh: Int32 = 0
                for b in 0..<256 {
                    let cl = low[b], ch = high[b]
                    low[b] = sumLow; high[b] = sumHigh
                    sumLow &+= cl; sumHigh &+= ch
                }
                for i in 0..<n {
                    let x = values[i], b = Int(x & 0xff)
                    tmp[Int(low[b])] = x
                    low[b] &+= 1
                }
                for i in 0..<n {
                    let x = tmp[i], b = Int(x >> 8)
                    values[Int(high[b])] = x
                    high[b] &+= 1
                }
            }
        }
    }

    /// Writes the first 12 hex digits of SHA-256 over `codes` (GREASE left out, SNI and
    /// ALPN too where asked) sorted and written as comma-separated 4-digit hex, followed
    /// by `_` and `then` in wire order when it has any non-GREASE value; 12 zeros when
    /// that text is empty.
    private static func hashSorted(_ codes: [UInt16], then: [UInt16], into p: UnsafeMutablePointer<UInt8>,
                                   dropSNIAndALPN: Bool = false, cache: JA4Cache?) {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: codes.count) { sorted in
            var n = 0
            for c in codes where !isGrease(c) && !(dropSNIAndALPN && (c == 0x0000 || c == 0x0010)) {
                sorted[n] = c; n += 1
            }
            let kept = UnsafeMutableBufferPointer(rebasing: sorted[0..<n])
            if n <= 32 {
                // Insertion sort: hellos carry a few dozen values at most, where it beats
                // the standard library's merge sort.
                for i in 1..<max(n, 1) {
                    let x = kept[i]
                    var j = i
                    while j > 0 && kept[j - 1] > x { kept[j] = kept[j - 1]; j -= 1 }
                    kept[j] = x
                }
            } else {
                radixSort(kept)
            }
            let tail = then.reduce(0) { isGrease($1) ? $0 : $0 + 1 }
            let length = 5 * (n + tail)
            guard length > 0 else {
                for i in 0..<12 { p[i] = UInt8(ascii: "0") }
                return
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { text in
                let t = text.baseAddress!, digits = hexDigits
                var o = 0
                func put(_ c: UInt16, after separator: UInt8) {
                    t[o] = separator
                    t[o + 1] = digits[Int(c >> 12)]; t[o + 2] = digits[Int(c >> 8 & 15)]
                    t[o + 3] = digits[Int(c >> 4 & 15)]; t[o + 4] = digits[Int(c & 15)]
                    o += 5
                }
                // Each value is written after a separator; the text starts past the
                // first one when the sorted list has values.
                for c in kept { put(c, after: UInt8(ascii: ",")) }
                var separator = UInt8(ascii: "_")
                for c in then where !isGrease(c) {
                    put(c, after: separator)
                    separator = UInt8(ascii: ",")
                }
                let start = n > 0 ? 1 : 0
                let input = UnsafeRawBufferPointer(start: t + start, count: o - start)
                if let cache {
                    cache.hash(input, into: p)
                } else {
                    hash(input, into: p)
                }
            }
        }
    }

    /// Writes the first 12 hex digits of SHA-256 over `text` at `p`.
    static func hash(_ text: UnsafeRawBufferPointer, into p: UnsafeMutablePointer<UInt8>) {
        var hasher = SHA256()
        hasher.update(bufferPointer: text)
        hasher.finalize().withUnsafeBytes { d in
            for i in 0..<6 {
                p[2 * i] = hexDigits[Int(d[i] >> 4)]; p[2 * i + 1] = hexDigits[Int(d[i] & 15)]
            }
        }
    }

    private static var hexDigits: UnsafePointer<UInt8> { ("0123456789abcdef" as StaticString).utf8Start }

    /// The first ALPN value's ends: a printable ASCII byte as itself, a byte from 0x80 as
    /// `9`; `99` when either end is a control byte; `00` without ALPN.
    static func alpn(_ value: [UInt8]?) -> String {
        let (f, l) = alpnBytes(value)
        return String(decoding: [f, l], as: UTF8.self)
    }

    private static func alpnBytes(_ value: [UInt8]?) -> (UInt8, UInt8) {
        guard let value, let first = value.first, let last = value.last else { return (0x30, 0x30) }
        func end(_ b: UInt8) -> UInt8? {
            if (0x20...0x7e).contains(b) { return b }
            return b >= 0x80 ? UInt8(ascii: "9") : nil
        }
        guard let f = end(first), let l = end(last) else { return (0x39, 0x39) }
        return (f, l)
    }
}

/// JA4's fingerprints and list hashes seen recently. Clients send the same few
/// ClientHellos over and over, and SHA-256 over a list's text costs several times more
/// than the rest of the fingerprint: `fingerprints` maps a hello's `a` part and lists
/// in wire order to its fingerprint, and `texts` a list's sorted text to its 12 hex
/// digits, for the hellos that send the same lists in another order. One per flow
/// table: a worker's own, no lock.
public final class JA4Cache {
    // A worker's own: no access to check for exclusivity.
    @exclusivity(unchecked) var fingerprints: JA4Memo<String>
    /// Per text, its 12 hex digits.
    @exclusivity(unchecked) var texts: JA4Memo<(UInt64, UInt32)>
    public var capacity: Int { texts.capacity }

    public init(capacity: Int = 1024) {
        fingerprints = JA4Memo(capacity: capacity)
        texts = JA4Memo(capacity: capacity)
    }

    /// Writes the first 12 hex digits of SHA-256 over `text` at `p`, from the cache
    /// where `text` was seen.
    func hash(_ text: UnsafeRawBufferPointer, into p: UnsafeMutablePointer<UInt8>) {
        if let digits = texts.find(text) {
            withUnsafeBytes(of: digits) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: 12) }
            return
        }
        JA4.hash(text, into: p)
        var digits: (UInt64, UInt32) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { $0.baseAddress!.copyMemory(from: p, byteCount: 12) }
        texts.insert(text, digits)
    }
}

/// Values by keys of bytes: a key is found by a cheap hash of its bytes and confirmed
/// byte for byte. Holds at most `capacity` keys of up to `longestHeld` bytes, one per
/// slot of a table indexed by the hash's low bits: a key whose slot is taken replaces
/// the one held there.
struct JA4Memo<Value> {
    private struct Entry {
        var hash: UInt64
        var key: [UInt8]
        var value: Value
    }
    private var slots: [Entry?] = []
    let capacity: Int
    static var longestHeld: Int { 1024 }

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The slot for a hash: its low bits, the table's size a power of two no larger
    /// than `capacity`.
    private var mask: Int { slots.count - 1 }

    /// A multiply-rotate fold of the key's 8-byte words: several times cheaper than
    /// SipHash here, and a collision, crafted or not, only costs a miss (hits are
    /// confirmed byte for byte).
    private static func fold(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = UInt64(key.count)
        var i = 0
        while i + 8 <= key.count {
            h = (h ^ key.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9e37_79b9_7f4a_7c15
            h = h << 31 | h >> 33
            i += 8
        }
        while i < key.count {
            h = (h ^ UInt64(key[i])) &* 0x9e37_79b9_7f4a_7c15
            i += 1
        }
        // The high bits, mixed most, pick the slot.
        return h ^ h >> 32
    }

    /// The value held for `key`, if any.
    func find(_ key: UnsafeRawBufferPointer) -> Value? {
        guard !slots.isEmpty else { return nil }
        let h = JA4Memo.fold(key)
        return slots.withUnsafeBufferPointer { table -> Value? in
            guard let hit = table[Int(truncatingIfNeeded: h) & mask], hit.hash == h, hit.key.count == key.count else { return nil }
            // An empty key has no address to compare from; its length matched.
            let same = key.count == 0 || hit.key.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
            return same ? hit.value : nil
        }
    }

    /// Holds `value` for `key`.
    mutating func insert(_ key: UnsafeRawBufferPointer, _ value: Value) {
        guard key.count <= JA4Memo.longestHeld else { return }
        if slots.isEmpty {
            var size = 1
            while size * 2 <= capacity { size *= 2 }
            slots = Array(repeating: nil, count: size)
        }
        let h = JA4Memo.fold(key)
        slots[Int(truncatingIfNeeded: h) & mask] = Entry(hash: h, key: Array(key), value: value)
    }
}
