/// Appends JSON text to a byte buffer: just enough structure (objects, arrays, commas)
/// to write reports directly, without building a tree first.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    private var needComma: [Bool] = []

    public init() { bytes.reserveCapacity(4096) }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needComma.removeAll(keepingCapacity: true)
    }

    private mutating func separate() {
        if let last = needComma.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            needComma[needComma.count - 1] = true
        }
    }

    private var pendingValue = false

    /// Writes a separating comma unless a key was just written.
    private mutating func valuePrefix() {
        if pendingValue { pendingValue = false } else { separate() }
    }

    public mutating func beginObject() { valuePrefix(); bytes.append(UInt8(ascii: "{")); needComma.append(false) }
    public mutating func endObject() { needComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { valuePrefix(); bytes.append(UInt8(ascii: "[")); needComma.append(false) }
    public mutating func endArray() { needComma.removeLast(); bytes.append(UInt8(ascii: "]")) }
    public mutating func beginObject(_ k: String) { key(k); beginObject() }
    public mutating func beginArray(_ k: String) { key(k); beginArray() }

    /// An object key; the next value call writes its value.
    public mutating func key(_ k: String) {
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
        if let v { appendRaw(String(v)) } else { appendRaw("null") }
    }

    public mutating func bool(_ v: Bool) { valuePrefix(); appendRaw(v ? "true" : "false") }
    public mutating func null() { valuePrefix(); appendRaw("null") }

    public mutating func field(_ k: String, _ v: String?) { key(k); string(v) }
    public mutating func field<T: BinaryInteger>(_ k: String, _ v: T?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }

    private mutating func appendRaw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0a: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0d: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7f:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
