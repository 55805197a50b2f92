import DemarcBase
/// Bounds-checked big-endian reads over a borrowed byte buffer.
///
/// Every accessor checks its range against the buffer before touching memory and
/// answers `nil` (or `0` for the `…Or0` forms) past the end, so a parser built on
/// these can never read outside the packet it was handed, whatever the packet says.
public struct Bytes {
    public let base: UnsafeRawBufferPointer

    @inlinable public init(_ base: UnsafeRawBufferPointer) { self.base = base }

    @inlinable public var count: Int { base.count }

    @inlinable @inline(__always) public func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= base.count &- length
    }

    @inlinable @inline(__always) public func u8(_ offset: Int) -> UInt8? {
        guard has(offset, 1) else { return nil }
        return base[offset]
    }

    @inlinable @inline(__always) public func u16(_ offset: Int) -> UInt16? {
        guard has(offset, 2) else { return nil }
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }

    @inlinable @inline(__always) public func u32(_ offset: Int) -> UInt32? {
        guard has(offset, 4) else { return nil }
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A little-endian 32-bit field (KCP, Roughtime, MongoDB).
    @inlinable @inline(__always) public func u32le(_ offset: Int) -> UInt32? {
        guard has(offset, 4) else { return nil }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable public func u64(_ offset: Int) -> UInt64? {
        guard has(offset, 8) else { return nil }
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A sub-range, clamped to what exists.
    @inlinable public func slice(_ offset: Int, _ length: Int) -> Bytes {
        guard offset >= 0, offset <= base.count else { return Bytes(UnsafeRawBufferPointer(rebasing: base[0..<0])) }
        let end = length < 0 ? base.count : min(base.count, offset + min(length, base.count))
        return Bytes(UnsafeRawBufferPointer(rebasing: base[offset..<max(offset, end)]))
    }
}

extension Bytes {
    /// The bytes from `offset` on start with `prefix`.
    @inlinable public func starts(with prefix: StaticString, at offset: Int = 0) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard has(offset, n) else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where base[offset + i] != p[i] { return false }
        return true
    }

    /// As `starts(with:)`, ignoring ASCII case.
    @inlinable public func startsCaseless(with prefix: StaticString, at offset: Int = 0) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard has(offset, n) else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where base[offset + i] | 0x20 != p[i] | 0x20 { return false }
        return true
    }

    /// Whether `length` bytes from `offset` exist and are all printable ASCII (0x20-0x7e).
    @inlinable public func isPrintableASCII(_ offset: Int, _ length: Int) -> Bool {
        guard has(offset, length) else { return false }
        for i in offset..<(offset + length) where base[i] < 0x20 || base[i] > 0x7e { return false }
        return true
    }

    /// Index of the first `byte` at or after `from`, within `limit` bytes.
    @inlinable public func find(_ byte: UInt8, from: Int = 0, limit: Int = Int.max) -> Int? {
        var i = max(0, from)
        let (reach, overflow) = from.addingReportingOverflow(limit)
        let end = overflow ? base.count : min(base.count, reach)
        while i < end { if base[i] == byte { return i }; i += 1 }
        return nil
    }

    /// Text of a range, with invalid UTF-8 repaired.
    public func text(_ offset: Int, _ length: Int) -> String {
        let s = slice(offset, length)
        return String(decoding: s.base, as: UTF8.self)
    }

    /// The first line (up to CR or LF), at most `limit` bytes.
    public func firstLine(limit: Int = 256) -> String {
        var end = 0
        while end < min(count, limit) && base[end] != 0x0d && base[end] != 0x0a { end += 1 }
        return text(0, end)
    }

    @inlinable public var isEmpty: Bool { base.isEmpty }
}
