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
