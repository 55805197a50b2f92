/// The short description `demarc scenario check` prints.
public enum ScenarioSummary {
    public static func text(_ s: Scenario) -> String {
        var o = "scenario \(s.name): valid (\(s.source))\n"
        if let d = s.description { o += "  \(d)\n" }
        if let p = s.provider { o += "  provider: \(p)\n" }
        o += "  nodes: \(s.nodes.count)"
        if !s.nodes.isEmpty { o += " (" + s.nodes.map { "\($0.name) [\($0.role)]" }.joined(separator: ", ") + ")" }
        o += "\n  zones: \(s.zones.count)"
        if !s.zones.isEmpty {
            o += " (" + s.zones.map { "\($0.name) [\($0.owner.rawValue)\($0.sensitive ? ", sensitive" : "")]" }.joined(separator: ", ") + ")"
        }
        let ruleCount = s.filters.values.reduce(0) { $0 + $1.rules.count }
        o += "\n  rules: \(ruleCount)"
        for seg in Segment.allCases {
            if let f = s.filters[seg] { o += "\n    \(seg.rawValue): \(f.rules.count) rules, default \(f.defaultAction.rawValue)" }
        }
        let required = Segment.allCases.filter { s.encryption[$0] == .required }.map(\.rawValue)
        let sensitive = s.zones.filter(\.sensitive).map(\.name)
        o += "\n  encryption required: " + (required.isEmpty ? "nowhere" : required.joined(separator: ", "))
        if !sensitive.isEmpty { o += "; and for every flow touching " + sensitive.joined(separator: ", ") }
        if let ca = s.customerCA {
            o += "\n  customer CA: " + ([ca.issuer.map { "issuer contains '\($0)'" }] + [ca.sha256.isEmpty ? nil : "\(ca.sha256.count) fingerprints"]).compactMap { $0 }.joined(separator: ", ")
        }
        let changed = Segment.allCases.filter { s.responsibility[$0] != Scenario.defaultResponsibility[$0] }
        if !changed.isEmpty {
            o += "\n  responsibility reassigned: " + changed.map { "\($0.rawValue) → \(s.responsibility[$0]!.rawValue)" }.joined(separator: ", ")
        }
        if !s.expectations.isEmpty { o += "\n  expectations: " + s.expectations.map(\.text).joined(separator: "; ") }
        return o
    }
}
