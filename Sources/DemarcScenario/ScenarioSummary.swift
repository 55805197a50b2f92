import DemarcBase
import DemarcDecode
import DemarcInspect
/// The short description `demarc scenario check` prints.
public enum ScenarioSummary {
    public static func text(_ s: Scenario) -> String {
        var o = "scenario \(s.name): valid (\(s.source))\n"
        if var d = s.description {
            // A folded YAML block ends in a newline: one line break here is enough.
            while let last = d.last, last.isNewline || last == " " { d.removeLast() }
            o += "  \(d)\n"
        }
        if let p = s.provider { o += "  provider: \(p)\n" }
        o += "  nodes: \(s.nodes.count)"
        if !s.nodes.isEmpty { o += " (" + list(s.nodes.map { "\($0.name) [\($0.role)]" }) + ")" }
        o += "\n  zones: \(s.zones.count)"
        if !s.zones.isEmpty {
            o += " (" + list(s.zones.map { z in
                "\(z.name) [\(z.owner.rawValue)\(z.sensitive ? ", sensitive" : "")\(z.via.map { ", via \(s.nodes[$0].name)" } ?? "")]"
            }) + ")"
        }
        let ruleCount = s.filters.values.reduce(0) { $0 + $1.rules.count }
        o += "\n  rules: \(ruleCount)"
        for seg in Segment.allCases {
            if let f = s.filters[seg] { o += "\n    \(seg.rawValue): \(f.rules.count) rules, default \(f.defaultAction.rawValue)" }
        }
        let required = Segment.allCases.filter { s.encryption[$0] == .required }.map(\.rawValue)
        let sensitive = s.zones.filter(\.sensitive).map(\.name)
        o += "\n  encryption required: " + (required.isEmpty ? "nowhere" : required.joined(separator: ", "))
        if !sensitive.isEmpty { o += "; and for every flow touching " + list(sensitive) }
        if let ca = s.customerCA {
            o += "\n  customer CA: " + ([ca.issuer.map { "issuer contains '\($0)'" }] + [ca.sha256.isEmpty ? nil : "\(ca.sha256.count) fingerprints"]).compactMap { $0 }.joined(separator: ", ")
        }
        let changed = Segment.allCases.filter { s.responsibility[$0] != Scenario.defaultResponsibility[$0] }
        if !changed.isEmpty {
            o += "\n  responsibility reassigned: " + changed.map { "\($0.rawValue) → \(s.responsibility[$0]!.rawValue)" }.joined(separator: ", ")
        }
        if !s.expectations.isEmpty { o += "\n  expectations: " + s.expectations.map(\.text).joined(separator: "; ") }
        if s.hasAcceptList {
            o += "\n  accepted risks: \(s.acceptances.count)"
            if !s.acceptances.isEmpty {
                o += " (" + list(s.acceptances.map { "\($0.finding) by \($0.owner) until \($0.until)" }, limit: 6) + ")"
            }
        }
        return o
    }

    /// Names, comma-separated: the first `limit` of a long list, then how many more (a
    /// scenario can hold thousands of zones).
    static func list(_ items: [String], limit: Int = 12) -> String {
        guard items.count > limit else { return items.joined(separator: ", ") }
        return items.prefix(limit).joined(separator: ", ") + ", … and \(items.count - limit) more"
    }
}
