import DemarcBase
import DemarcDecode
/// Framing checks shared by the binary protocols' inspectors: records laid end to end,
/// each a header that gives its own length (a length-prefixed framing, or a walk over
/// type-length-value items), must fill the payload exactly. Random bytes rarely do: each
/// record's header must be the protocol's and the last one must end on the last byte.
enum Framing {
    /// Whether records laid end to end from `start` fill `p` exactly. `length(offset)`
    /// answers the whole length of the record at `offset`, or nil when the header there is
    /// not the protocol's (its reads are bounds-checked, so past the end they fail). At
    /// most `limit` records are walked; a payload of more counts as not filled.
    @inline(__always)
    static func fills(_ p: Bytes, from start: Int = 0, limit: Int = 32, _ length: (Int) -> Int?) -> Bool {
        var at = start, records = 0
        while at < p.count {
            guard records < limit, let n = length(at), n > 0 else { return false }
            at += n
            records += 1
        }
        return records > 0 && at == p.count
    }

    /// A walk over TLV items from `start`: a type of `typeBytes` bytes, then a big-endian
    /// length of `lengthBytes` bytes (1 or 2) that counts the value alone, or the whole
    /// item when `lengthIncludesHeader`.
    static func tlvFills(_ p: Bytes, from start: Int = 0, typeBytes: Int, lengthBytes: Int,
                         lengthIncludesHeader: Bool, limit: Int = 32) -> Bool {
        let header = typeBytes + lengthBytes
        return fills(p, from: start, limit: limit) { at in
            let field = lengthBytes == 1 ? p.u8(at + typeBytes).map(Int.init) : p.u16(at + typeBytes).map(Int.init)
            guard let n = field else { return nil }
            let whole = lengthIncludesHeader ? n : n + header
            return whole >= header ? whole : nil
        }
    }
}

extension Bytes {
    /// A little-endian 16-bit field (eDonkey, EtherNet/IP, Gnutella).
    @inlinable @inline(__always) func u16le(_ offset: Int) -> UInt16? {
        guard has(offset, 2) else { return nil }
        return UInt16(base[offset]) | UInt16(base[offset + 1]) << 8
    }
}
