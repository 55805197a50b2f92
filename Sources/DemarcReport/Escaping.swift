/// Escaping text for a markup (HTML, Mermaid): each character the markup would read is
/// replaced by what `replacement` gives; the others are kept. Text with nothing to
/// replace is returned as it is, without a copy.
enum Escaping {
    static func replacing(_ s: String, _ replacement: (Character) -> String?) -> String {
        guard s.contains(where: { replacement($0) != nil }) else { return s }
        var o = ""
        o.reserveCapacity(s.utf8.count + 16)
        for c in s {
            if let r = replacement(c) { o += r } else { o.append(c) }
        }
        return o
    }
}
