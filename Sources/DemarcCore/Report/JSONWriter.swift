/// Appends JSON text to a byte buffer: just enough structure (objects, arrays, commas)
/// to write reports directly, without building a tree first.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    /// Bit d: the container at depth d already holds a member (a comma comes next).
    private var members: UInt64 = 0
    private var depth = 0
    /// A key was just written: the next value needs no comma.
    private var pendingValue = false

    public init() { bytes.reserveCapacity(4096) }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        members = 0
        depth = 0
        pendingValue = false
    }

    private mutating func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64((depth - 1) & 63)
        if members & bit != 0 { bytes.append(UInt8(ascii: ",")) }
        members |= bit
    }

    /// Writes a separating comma unless a key was just written.
    private mutating func valuePrefix() {
        if pendingValue { pendingValue = false } else { separate() }
    }

    private mutating func open(_ c: UInt8) {
        valuePrefix()
        bytes.append(c)
        depth += 1
        members &= ~(1 << UInt64((depth - 1) & 63))
    }

    private mutating func close(_ c: UInt8) { depth -= 1; bytes.append(c) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }
    public mutating func beginObject(_ k: StaticString) { key(k); beginObject() }
    public mutating func beginArray(_ k: StaticString) { key(k); beginArray() }

    /// An object key known at compile time (plain ASCII: copied, not escaped); the next
    /// value call writes its value.
    public mutating func key(_ k: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        pendingValue = true
    }

    /// An object key made at run time (escaped as any string).
    public mutating func key(named k: String) {
        separate()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        pendingValue = true
    }

    public mutating func string(_ v: String?) {
        valuePrefix()
        if let v { appendString(v) } else { appendRaw("null") }
    }

    public mutating func int<T: BinaryInteger>(_ v: T?) {
        valuePrefix()
        guard let v else { appendRaw("null"); return }
        if let small = Int64(exactly: v) {
            appendDecimal(small)
        } else {
            appendRaw(String(v))
        }
    }

    /// A timestamp (microseconds since the epoch) as RFC 3339 text, written in place.
    public mutating func timestamp(_ k: StaticString, micros: Int64) {
        key(k)
        valuePrefix()
        bytes.append(UInt8(ascii: "\""))
        Timestamps.append(micros: micros, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func bool(_ v: Bool) { valuePrefix(); appendRaw(v ? "true" : "false") }
    public mutating func null() { valuePrefix(); appendRaw("null") }

    public mutating func field(_ k: StaticString, _ v: String?) { key(k); string(v) }
    public mutating func field<T: BinaryInteger>(_ k: StaticString, _ v: T?) { key(k); int(v) }
    public mutating func field(_ k: StaticString, _ v: Bool) { key(k); bool(v) }

    private mutating func appendRaw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    private mutating func appendDecimal(_ v: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var m = v.magnitude
            var i = 20
            repeat { i -= 1; buf[i] = 48 + UInt8(m % 10); m /= 10 } while m > 0
            if v < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i...]))
        }
    }

    private static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5c || b == 0x7f
    }

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them in one piece.
        let plain = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
            guard !u.contains(where: JSONWriter.needsEscape) else { return false }
            bytes.append(contentsOf: u)
            return true
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(92); bytes.append(34)
            case UInt8(ascii: "\\"): bytes.append(92); bytes.append(92)
            case 0x0a: bytes.append(92); bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(92); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(92); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f:
                let hex: StaticString = "0123456789abcdef"
                let h = hex.utf8Start
                bytes.append(92); bytes.append(UInt8(ascii: "u")); bytes.append(48); bytes.append(48)
                bytes.append(h[Int(b >> 4)]); bytes.append(h[Int(b & 15)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
