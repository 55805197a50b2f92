import DemarcBase
import DemarcDecode
extension Bytes {
    /// Whether all of `p` is a prefix of `s`.
    static func prefixMatches(_ p: Bytes, _ s: StaticString) -> Bool {
        let n = min(p.count, s.utf8CodeUnitCount)
        let sp = s.utf8Start
        for i in 0..<n where p.base[i] != sp[i] { return false }
        return true
    }
}

extension Bytes {
    /// Whether `needle` occurs within the first `limit` bytes: the check a text protocol
    /// makes for a marker (a namespace, a version token) that its first line does not hold.
    func contains(_ needle: StaticString, within limit: Int) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0 else { return true }
        let first = needle.utf8Start[0]
        var at = 0
        let end = Swift.min(count, limit) - n
        while at <= end {
            guard let i = find(first, from: at, limit: end - at + 1) else { return false }
            if starts(with: needle, at: i) { return true }
            at = i + 1
        }
        return false
    }

    /// Whether the first `length` bytes from `offset` are text a protocol's lines hold:
    /// printable ASCII, tab, CR or LF.
    func isTextLines(_ offset: Int, _ length: Int) -> Bool {
        guard has(offset, length) else { return false }
        for i in offset..<(offset + length) {
            let b = base[i]
            if (b < 0x20 && b != 0x09 && b != 0x0a && b != 0x0d) || b > 0x7e { return false }
        }
        return true
    }
}
