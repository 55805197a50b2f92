import DemarcBase
/// An IPv4 or IPv6 address held in 128 bits. IPv4 addresses are stored IPv4-mapped
/// (`::ffff:a.b.c.d`) so both families share one comparison and one hash.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var hi: UInt64
    public var lo: UInt64

    @inlinable public init(hi: UInt64, lo: UInt64) { self.hi = hi; self.lo = lo }

    @inlinable public init(v4 value: UInt32) {
        hi = 0
        lo = 0x0000_ffff_0000_0000 | UInt64(value)
    }

    @inlinable public var isV4: Bool { hi == 0 && (lo >> 32) == 0x0000_ffff }
    @inlinable public var v4: UInt32 { UInt32(truncatingIfNeeded: lo) }

    @inlinable public static func < (l: IPAddress, r: IPAddress) -> Bool {
        l.hi != r.hi ? l.hi < r.hi : l.lo < r.lo
    }

    /// The address with all but the first `bits` bits (of its family's width) cleared.
    public func masked(_ bits: Int) -> IPAddress {
        let width = isV4 ? 32 : 128
        let keep = (isV4 ? 96 : 0) + max(0, min(bits, width))
        if keep >= 128 { return self }
        if keep <= 0 { return IPAddress(hi: 0, lo: 0) }
        if keep <= 64 {
            let m: UInt64 = keep == 64 ? ~0 : ~(~0 >> UInt64(keep))
            return IPAddress(hi: hi & m, lo: 0)
        }
        let m: UInt64 = ~(~0 >> UInt64(keep - 64))
        return IPAddress(hi: hi, lo: lo & m)
    }

    public var description: String {
        if isV4 {
            // At most 15 bytes: a small string, built without interpolation.
            return String(unsafeUninitializedCapacity: 15) { writeV4(into: $0.baseAddress!) }
        }
        return String(unsafeUninitializedCapacity: IPAddress.longestText) { IPAddress.writeV6(hi: hi, lo: lo, into: $0.baseAddress!) }
    }

    /// Writes an IPv4 address's dotted text at `p` (room for 15 bytes); returns its length.
    package func writeV4(into p: UnsafeMutablePointer<UInt8>) -> Int {
        let v = v4
        var i = 0
        IPAddress.octetText.withUnsafeBufferPointer { text in
            // Each of the first three octets: its digits and a dot, stored as one word.
            @inline(__always) func octet(_ shift: UInt32) {
                let t = text[Int((v >> shift) & 0xff)]
                UnsafeMutableRawPointer(p + i).storeBytes(of: t.littleEndian, as: UInt32.self)
                i &+= Int(IPAddress.octetLength(t))
            }
            octet(24); octet(16); octet(8)
            let t = text[Int(v & 0xff)]
            let n = Int(IPAddress.octetLength(t)) - 1
            for k in 0..<n { p[i + k] = UInt8(truncatingIfNeeded: t >> UInt32(8 * k)) }
            i &+= n
        }
        return i
    }

    /// Per octet value: its decimal digits then a dot, little-endian in a word (the unused
    /// high bytes zero).
    static let octetText: [UInt32] = (0..<256).map { (n: Int) -> UInt32 in
        let digits: [UInt8] = n >= 100 ? [UInt8(48 + n / 100), UInt8(48 + n / 10 % 10), UInt8(48 + n % 10)]
            : n >= 10 ? [UInt8(48 + n / 10), UInt8(48 + n % 10)] : [UInt8(48 + n)]
        return (digits + [0x2e]).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(8 * $1.offset) }
    }

    /// The length of an `octetText` entry, its dot included.
    @inline(__always) static func octetLength(_ t: UInt32) -> UInt32 {
        t >> 24 != 0 ? 4 : t >> 16 != 0 ? 3 : 2
    }

    /// The longest text `write(into:)` gives (an IPv6 address of eight four-digit groups).
    public static let longestText = 39

    /// Writes the address's text at `p` (room for `longestText` bytes): dotted IPv4, or
    /// RFC 5952 IPv6. Returns its length. Nothing is allocated.
    package func write(into p: UnsafeMutablePointer<UInt8>) -> Int {
        isV4 ? writeV4(into: p) : IPAddress.writeV6(hi: hi, lo: lo, into: p)
    }

    /// RFC 5952 text: lowercase hex, the longest run of two or more zero groups as `::`
    /// (the first of equally long runs).
    static func writeV6(hi: UInt64, lo: UInt64, into p: UnsafeMutablePointer<UInt8>) -> Int {
        @inline(__always) func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? hi : lo) >> UInt64(48 - 16 * (i & 3)))
        }
        var bestStart = -1, bestLen = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLen { bestStart = runStart; bestLen = i - runStart }
                runStart = -1
            }
        }
        if bestLen < 2 { bestStart = -1 }
        var n = 0, i = 0
        var afterGroup = false
        while i < 8 {
            if i == bestStart {
                p[n] = 0x3a; p[n + 1] = 0x3a; n += 2
                i += bestLen
                afterGroup = false
                continue
            }
            if afterGroup { p[n] = 0x3a; n += 1 }
            let g = group(i)
            var shift = 12
            while shift > 0 && (g >> UInt16(shift)) & 0xf == 0 { shift -= 4 }
            while shift >= 0 {
                let d = UInt8((g >> UInt16(shift)) & 0xf)
                p[n] = d < 10 ? 48 + d : 87 + d
                n += 1
                shift -= 4
            }
            afterGroup = true
            i += 1
        }
        return n
    }

    /// Parses dotted IPv4 or RFC 4291 IPv6 text (with an embedded IPv4 tail allowed).
    public init?(_ text: Substring) {
        if text.contains(":") {
            guard let v = IPAddress.parseV6(text) else { return nil }
            self = v
        } else {
            guard let v = IPAddress.parseV4(text) else { return nil }
            self.init(v4: v)
        }
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    /// Four dot-separated runs of digits, whatever their values (`010.0.0.300`).
    public static func looksLikeV4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// Dotted quad, each part 1–3 digits and at most 255 (one pass over the bytes).
    static func parseV4(_ text: Substring) -> UInt32? {
        var v: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for c in text.utf8 {
            if c == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                v = v << 8 | part
                part = 0; digits = 0; dots += 1
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                digits += 1
                part = part * 10 + UInt32(c - UInt8(ascii: "0"))
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return v << 8 | part
    }

    /// The parts of `text` between occurrences of `separator` (Foundation's
    /// components(separatedBy:), which this module does without).
    static func split(_ text: Substring, on separator: String) -> [String] {
        var parts: [String] = [], current = "", rest = text[...]
        while !rest.isEmpty {
            if rest.hasPrefix(separator) {
                parts.append(current); current = ""
                rest = rest.dropFirst(separator.count)
            } else {
                current.append(rest.removeFirst())
            }
        }
        parts.append(current)
        return parts
    }

    static func parseV6(_ text: Substring) -> IPAddress? {
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = IPAddress.split(text, on: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowV4Tail: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, allowV4Tail, p.contains(".") {
                    guard let v4 = parseV4(p) else { return nil }
                    out.append(UInt16(v4 >> 16)); out.append(UInt16(v4 & 0xffff))
                } else {
                    guard !p.isEmpty, p.count <= 4, let g = UInt16(p, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        if halves.count == 2 {
            guard let h = groups(halves[0], allowV4Tail: false), let t = groups(halves[1], allowV4Tail: true),
                  h.count + t.count <= 7 else { return nil }
            head = h; tail = t
        } else {
            guard let h = groups(halves[0], allowV4Tail: true), h.count == 8 else { return nil }
            head = h
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]); lo = lo << 16 | UInt64(all[i + 4]) }
        return IPAddress(hi: hi, lo: lo)
    }
}
