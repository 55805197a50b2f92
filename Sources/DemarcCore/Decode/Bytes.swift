/// Bounds-checked big-endian reads over a borrowed byte buffer.
///
/// Every accessor checks its range against the buffer before touching memory and
/// answers `nil` (or `0` for the `…Or0` forms) past the end, so a parser built on
/// these can never read outside the packet it was handed, whatever the packet says.
@usableFromInline
struct Bytes {
    @usableFromInline let base: UnsafeRawBufferPointer

    @inlinable init(_ base: UnsafeRawBufferPointer) { self.base = base }

    @inlinable var count: Int { base.count }

    @inlinable func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= base.count &- length
    }

    @inlinable func u8(_ offset: Int) -> UInt8? {
        guard has(offset, 1) else { return nil }
        return base[offset]
    }

    @inlinable func u16(_ offset: Int) -> UInt16? {
        guard has(offset, 2) else { return nil }
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }

    @inlinable func u32(_ offset: Int) -> UInt32? {
        guard has(offset, 4) else { return nil }
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable func u64(_ offset: Int) -> UInt64? {
        guard has(offset, 8) else { return nil }
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A sub-range, clamped to what exists.
    @inlinable func slice(_ offset: Int, _ length: Int) -> Bytes {
        guard offset >= 0, offset <= base.count else { return Bytes(UnsafeRawBufferPointer(rebasing: base[0..<0])) }
        let end = length < 0 ? base.count : min(base.count, offset + min(length, base.count))
        return Bytes(UnsafeRawBufferPointer(rebasing: base[offset..<max(offset, end)]))
    }
}
