import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// Appends JSON text to a growable byte buffer: just enough structure (objects, arrays,
/// commas) to write reports directly, without building a tree first. The buffer is raw
/// memory the writer owns (a class, so it is never copied): each byte written is one
/// store, with no per-append uniqueness or bounds bookkeeping.
public final class JSONWriter {
    // Used from one thread at a time (one report writer): no dynamic exclusivity checks.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) public private(set) var count = 0
    /// Bit d: the container at depth d already holds a member (a comma comes next).
    @exclusivity(unchecked) private var members: UInt64 = 0
    @exclusivity(unchecked) private var depth = 0
    /// A key was just written: the next value needs no comma.
    @exclusivity(unchecked) private var pendingValue = false
    /// The second last written by `rawTimestamp`, and its text up to the fraction.
    @exclusivity(unchecked) private var cachedSecond = Int64.min
    private let secondText = UnsafeMutablePointer<UInt8>.allocate(capacity: Timestamps.secondWidth)

    public init(capacity: Int = 4096) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate(); secondText.deallocate() }

    /// What has been written since the last `reset()`.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public func reset() {
        count = 0
        if !idMarks.isEmpty { idMarks.removeAll(keepingCapacity: true) }
        members = 0
        depth = 0
        pendingValue = false
    }

    /// Starts another top-level value after what is written (no comma, no reset of the
    /// text): several flows rendered one after another into one buffer.
    public func nextValue() {
        members = 0
        depth = 0
        pendingValue = false
    }

    /// Hands over the text written since the last `reset()` and its buffer's capacity
    /// (the caller frees it with `deallocate()`, or hands it back here), and goes on in
    /// `spare` (a buffer of `spare.capacity` bytes), or a new buffer of the same capacity.
    public func detach(into spare: (base: UnsafeMutablePointer<UInt8>, capacity: Int)? = nil)
        -> (base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        let text = (base: base, capacity: capacity)
        if let spare {
            base = spare.base
            capacity = spare.capacity
        } else {
            base = .allocate(capacity: capacity)
        }
        count = 0
        if !idMarks.isEmpty { idMarks.removeAll(keepingCapacity: true) }
        nextValue()
        return text
    }

    // MARK: raw bytes

    @inline(__always) private func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count &+ n) }
    }

    private func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = c
    }

    @inline(__always) private func put(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count &+= 1
    }

    /// `p` is never inside the buffer (it is text the caller holds): copied without an
    /// overlap check.
    @inline(__always) private func put(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        (base + count).initialize(from: p, count: n)
        count &+= n
    }

    @inline(__always) private func put(_ s: StaticString) { put(s.utf8Start, s.utf8CodeUnitCount) }

    // MARK: structure

    private func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64((depth - 1) & 63)
        if members & bit != 0 { put(UInt8(ascii: ",")) }
        members |= bit
    }

    /// Writes a separating comma unless a key was just written.
    private func valuePrefix() {
        if pendingValue { pendingValue = false } else { separate() }
    }

    private func open(_ c: UInt8) {
        valuePrefix()
        put(c)
        depth += 1
        members &= ~(1 << UInt64((depth - 1) & 63))
    }

    private func close(_ c: UInt8) { depth -= 1; put(c) }

    public func beginObject() { open(UInt8(ascii: "{")) }
    public func endObject() { close(UInt8(ascii: "}")) }
    public func beginArray() { open(UInt8(ascii: "[")) }
    public func endArray() { close(UInt8(ascii: "]")) }
    public func beginObject(_ k: StaticString) { key(k); beginObject() }
    public func beginArray(_ k: StaticString) { key(k); beginArray() }

    /// An object key known at compile time (plain ASCII: copied, not escaped); the next
    /// value call writes its value.
    public func key(_ k: StaticString) {
        separate()
        let n = k.utf8CodeUnitCount
        reserve(n + 3)
        base[count] = UInt8(ascii: "\"")
        (base + count + 1).update(from: k.utf8Start, count: n)
        count += n + 1
        base[count] = UInt8(ascii: "\"")
        base[count + 1] = UInt8(ascii: ":")
        count += 2
        pendingValue = true
    }

    /// An object key made at run time (escaped as any string).
    public func key(named k: String) {
        separate()
        appendString(k)
        put(UInt8(ascii: ":"))
        pendingValue = true
    }

    // MARK: raw text (a record of fixed shape written without structure tracking)

    /// Text known at compile time, copied as it is: punctuation and keys together
    /// (`,"port":`), for records whose shape is fixed.
    @inline(__always) public func raw(_ s: StaticString) { put(s.utf8Start, s.utf8CodeUnitCount) }
    /// Bytes known to need no escaping (ASCII made by the caller, never the writer's own
    /// `bytes`), copied as they are.
    public func rawASCII(_ b: UnsafeRawBufferPointer) {
        guard let p = b.baseAddress, b.count > 0 else { return }
        put(p.assumingMemoryBound(to: UInt8.self), b.count)
    }
    /// Text of a known width, written by `body` at the pointer it is given (exactly
    /// `width` bytes of ASCII that needs no escaping), with no separator.
    @inline(__always) public func rawFixed(width: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        reserve(width)
        body(base + count)
        count &+= width
    }
    /// A string value (escaped) or null, with no separator.
    @inline(__always) public func rawString(_ v: String?) { if let v { appendString(v) } else { put("null") } }
    /// An integer value or null, with no separator.
    public func rawInt<T: FixedWidthInteger>(_ v: T?) {
        guard let v else { put("null"); return }
        if let small = Int64(exactly: v) {
            appendDecimal(small)
        } else {
            var s = String(v)
            s.withUTF8 { put($0.baseAddress!, $0.count) }
        }
    }
    /// An unsigned integer value (counts, ids), with no separator.
    @inline(__always) public func rawInt(_ v: UInt64) { appendDigits(v) }
    /// A flow's id: its decimal, or, while ids are deferred (`defersIDs`), nothing but a
    /// mark where it goes (a record rendered before its id is known; see `FlowRenderer`).
    @inline(__always) public func rawFlowID(_ id: UInt64) {
        if defersIDs { idMarks.append(Int32(truncatingIfNeeded: count)) } else { appendDigits(id) }
    }
    /// Ids are left out and their places marked in `idMarks` (offsets into `bytes`).
    @exclusivity(unchecked) public var defersIDs = false
    @exclusivity(unchecked) public internal(set) var idMarks: [Int32] = []
    /// A number in [0, 1] to three decimals (`0.968`), with no separator.
    public func rawFraction(_ v: Double) {
        let thousandths = Int((min(max(v, 0), 1) * 1000).rounded())
        if thousandths == 1000 { put(UInt8(ascii: "1")); return }
        var s = "0." + String(String(thousandths + 1000).dropFirst())
        s.withUTF8 { put($0.baseAddress!, $0.count) }
    }
    /// A quoted RFC 3339 timestamp, with no separator. Flows end close together: the
    /// text up to the second is kept and reused while the second stays the same.
    public func rawTimestamp(micros: Int64) {
        reserve(Timestamps.width + 2)
        base[count] = UInt8(ascii: "\"")
        let p = base + count + 1
        let (secs, frac) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        if frac >= 0, secs == cachedSecond {
            p.initialize(from: secondText, count: Timestamps.secondWidth)
            Timestamps.writeFraction(frac, into: p + Timestamps.secondWidth)
            count += 1 + Timestamps.width
        } else {
            let n = Timestamps.write(micros: micros, into: p)
            if n == Timestamps.width, frac >= 0 {
                cachedSecond = secs
                secondText.initialize(from: p, count: Timestamps.secondWidth)
            }
            count += 1 + n
        }
        base[count] = UInt8(ascii: "\"")
        count += 1
    }

    /// A quoted IP address (dotted IPv4, RFC 5952 IPv6), with no separator.
    public func rawAddress(_ a: IPAddress) {
        reserve(IPAddress.longestText + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1 + a.write(into: base + count + 1)
        base[count] = UInt8(ascii: "\"")
        count += 1
    }

    // MARK: values

    public func string(_ v: String?) { valuePrefix(); rawString(v) }

    public func int<T: FixedWidthInteger>(_ v: T?) { valuePrefix(); rawInt(v) }


    public func bool(_ v: Bool) { valuePrefix(); put(v ? "true" : "false") }

    public func field(_ k: StaticString, _ v: String?) { key(k); string(v) }
    public func field<T: FixedWidthInteger>(_ k: StaticString, _ v: T?) { key(k); int(v) }
    public func field(_ k: StaticString, _ v: Bool) { key(k); bool(v) }

    /// "00" to "99": two digits per division (a constant, read without a lazy global's
    /// check).
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    private func appendDecimal(_ v: Int64) {
        if v < 0 { put(UInt8(ascii: "-")) }
        appendDigits(v.magnitude)
    }

    /// The decimal digits of `v`, two per division, from the last.
    private func appendDigits(_ v: UInt64) {
        reserve(20)
        var m = v
        var digits = 1
        var t = m
        while t >= 100 { t /= 100; digits &+= 2 }
        if t >= 10 { digits &+= 1 }
        var i = count &+ digits
        count = i
        let pairs = JSONWriter.digitPairs.utf8Start
        while m >= 100 {
            let (q, r) = m.quotientAndRemainder(dividingBy: 100)
            i &-= 2
            base[i] = pairs[Int(r) &* 2]
            base[i &+ 1] = pairs[Int(r) &* 2 &+ 1]
            m = q
        }
        if m >= 10 {
            i &-= 2
            base[i] = pairs[Int(m) &* 2]
            base[i &+ 1] = pairs[Int(m) &* 2 &+ 1]
        } else {
            base[i &- 1] = 48 &+ UInt8(truncatingIfNeeded: m)
        }
    }

    private static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5c || b == 0x7f
    }

    /// Whether any of `n` bytes at `p` needs escaping, eight at a time: a byte below 0x20
    /// or equal to `"`, `\` or DEL makes its lane's top bit set in `flagged` (the usual
    /// has-less-than and has-zero-byte tests; exact as a yes or no for the word).
    @inline(__always)
    private static func anyNeedsEscape(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        @inline(__always) func flagged(_ w: UInt64) -> Bool {
            ((w &- ones &* 0x20) & ~w & highs) | zeroByte(w ^ (ones &* 0x22))
                | zeroByte(w ^ (ones &* 0x5c)) | zeroByte(w ^ (ones &* 0x7f)) != 0
        }
        guard n >= 8 else {
            var i = 0
            while i < n {
                if needsEscape(p.load(fromByteOffset: i, as: UInt8.self)) { return true }
                i &+= 1
            }
            return false
        }
        var i = 0
        while i &+ 8 < n {
            if flagged(p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return true }
            i &+= 8
        }
        // The last eight bytes, overlapping bytes already checked.
        return flagged(p.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
    }

    private func appendString(_ s: String) {
        // Most strings need no escaping: copy them in one piece, read in place (native
        // strings are contiguous UTF-8; others take the escaping path below).
        let plain = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
            let n = u.count
            guard let src = u.baseAddress else { put("\"\""); return true }
            if JSONWriter.anyNeedsEscape(UnsafeRawPointer(src), n) { return false }
            reserve(n &+ 2)
            base[count] = UInt8(ascii: "\"")
            (base + count + 1).initialize(from: src, count: n)
            base[count &+ n &+ 1] = UInt8(ascii: "\"")
            count &+= n &+ 2
            return true
        }
        if plain == true { return }
        put(UInt8(ascii: "\""))
        let hex: StaticString = "0123456789abcdef"
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): put(92); put(34)
            case UInt8(ascii: "\\"): put(92); put(92)
            case 0x0a: put(92); put(UInt8(ascii: "n"))
            case 0x0d: put(92); put(UInt8(ascii: "r"))
            case 0x09: put(92); put(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f:
                put(92); put(UInt8(ascii: "u")); put(48); put(48)
                put(hex.utf8Start[Int(b >> 4)]); put(hex.utf8Start[Int(b & 15)])
            default: put(b)
            }
        }
        put(UInt8(ascii: "\""))
    }
}
