import DemarcBase
import DemarcDecode
import DemarcScenario

/// `simulate`'s reports (REPORT.md): the scenario's places, pairs and findings, and the
/// answer for one flow (`--flow`).
public enum SimulateReport {
    /// The simulation in a format: json, table, markdown or html.
    /// The simulation written to `out`; json straight from its buffer (a large
    /// scenario's matrix is hundreds of MB: never copied into a String).
    public static func write(_ sim: Simulation, format: ReportFormat, to out: Output) {
        switch format {
        case .json, .jsonl:
            let w = JSONWriter(capacity: 1 << 20)
            writeJSON(sim, w)
            out.write(w.bytes)
            out.write("\n")
        default:
            out.write(render(sim, format: format))
        }
    }

    public static func render(_ sim: Simulation, format: ReportFormat) -> String {
        switch format {
        case .json, .jsonl: return json(sim)
        case .markdown: return markdown(sim)
        case .html: return html(sim)
        default: return table(sim)
        }
    }

    public static func render(_ v: FlowVerdict, format: ReportFormat) -> String {
        switch format {
        case .json, .jsonl: return json(v)
        default: return table(v)
        }
    }

    // MARK: json

    static func text(_ w: JSONWriter) -> String {
        String(decoding: w.bytes, as: UTF8.self) + "\n"
    }

    static func writeRule(_ w: JSONWriter, _ r: RuleRef?) {
        guard let r else { w.raw("null"); return }
        w.raw("{\"segment\":"); w.rawString(r.segment.rawValue)
        w.raw(",\"name\":"); w.rawString(r.name)
        w.raw(",\"line\":"); w.rawInt(r.line)
        w.raw("}")
    }

    static func writePath(_ w: JSONWriter, _ p: TransitPath?) {
        guard let p else { return }
        w.raw(",\"path\":{\"enters\":"); w.rawString(p.enters)
        w.raw(",\"leaves\":"); w.rawString(p.leaves); w.raw("}")
    }

    public static func json(_ sim: Simulation) -> String {
        let w = JSONWriter()
        writeJSON(sim, w)
        return text(w)
    }

    static func writeJSON(_ sim: Simulation, _ w: JSONWriter) {
        w.raw("{\"tool\":{\"name\":\"demarc\",\"version\":"); w.rawString(DemarcVersion.string)
        w.raw("},\"scenario\":{\"name\":"); w.rawString(sim.scenario.name)
        w.raw(",\"source\":"); w.rawString(sim.scenario.source)
        w.raw("},\"places\":[")
        for (i, p) in sim.places.enumerated() {
            w.raw(i == 0 ? "{\"name\":" : ",{\"name\":"); w.rawString(p.name)
            w.raw(",\"kind\":"); w.rawString(p.kind.rawValue)
            w.raw(",\"owner\":"); w.rawString(p.owner.rawValue)
            w.raw(",\"cidrs\":[")
            for (j, c) in p.cidrs.enumerated() { if j > 0 { w.raw(",") }; w.rawString(c) }
            w.raw("],\"within\":"); w.rawString(p.within)
            w.raw("}")
        }
        w.raw("],\"pairs\":[")
        for (i, pair) in sim.pairs.enumerated() {
            let o = pair.outcome
            w.raw(i == 0 ? "{\"from\":[" : ",{\"from\":[")
            for (j, p) in pair.from.enumerated() { if j > 0 { w.raw(",") }; w.rawString(sim.places[p].name) }
            w.raw("],\"to\":[")
            for (j, p) in pair.to.enumerated() { if j > 0 { w.raw(",") }; w.rawString(sim.places[p].name) }
            w.raw("],\"zone_pairs\":"); w.rawString(pair.zonePairs.rawValue)
            w.raw(",\"segment\":"); w.rawString(o.segment.rawValue)
            w.raw(",\"responsible\":"); w.rawString(o.responsible.rawValue)
            writePath(w, o.path)
            w.raw(o.encryptionRequired ? ",\"encryption_required\":true" : ",\"encryption_required\":false")
            w.raw(",\"services\":[")
            for (j, s) in o.services.enumerated() {
                w.raw(j == 0 ? "{\"transport\":" : ",{\"transport\":"); w.rawString(s.transport)
                w.raw(",\"ports\":"); w.rawString(s.ports)
                w.raw(",\"decision\":"); w.rawString(s.decision)
                w.raw(",\"rule\":"); writeRule(w, s.rule)
                if let r = s.responsible { w.raw(",\"responsible\":"); w.rawString(r.rawValue) }
                w.raw(s.cleartextAccepted ? ",\"cleartext_accepted\":true}" : ",\"cleartext_accepted\":false}")
            }
            w.raw("]}")
        }
        w.raw("],\"findings\":[")
        for (i, f) in sim.findings.enumerated() {
            w.raw(i == 0 ? "{\"code\":" : ",{\"code\":"); w.rawString(f.code)
            w.raw(",\"severity\":"); w.rawString(f.severity.rawValue)
            w.raw(",\"party\":"); w.rawString(f.party.rawValue)
            w.raw(",\"message\":"); w.rawString(f.message)
            w.raw(",\"segment\":"); w.rawString(f.segment?.rawValue)
            w.raw(",\"rule\":"); writeRule(w, f.rule)
            w.raw(",\"place\":"); w.rawString(f.place)
            w.raw("}")
        }
        w.raw("],\"summary\":{\"places\":"); w.rawInt(sim.places.count)
        w.raw(",\"pairs\":"); w.rawInt(sim.pairs.count)
        w.raw(",\"findings\":{")
        for (i, sev) in Severity.allCases.sorted(by: >).enumerated() {
            if i > 0 { w.raw(",") }
            w.rawString(sev.rawValue); w.raw(":"); w.rawInt(sim.findings.filter { $0.severity == sev }.count)
        }
        w.raw("}}}")
    }

    public static func json(_ v: FlowVerdict) -> String {
        let w = JSONWriter()
        w.raw("{\"client\":"); w.rawString("\(v.client)")
        w.raw(",\"server\":"); w.rawString("\(v.server)")
        w.raw(",\"service\":"); w.rawString(v.service)
        w.raw(",\"segment\":"); w.rawString(v.segment.rawValue)
        w.raw(",\"responsible\":"); w.rawString(v.responsible.rawValue)
        writePath(w, v.path)
        w.raw(",\"rule\":")
        if let r = v.rule {
            w.raw("{\"segment\":"); w.rawString(r.segment.rawValue)
            w.raw(",\"name\":"); w.rawString(r.name)
            w.raw(",\"action\":"); w.rawString(r.action.rawValue)
            if let p = r.responsible { w.raw(",\"responsible\":"); w.rawString(p.rawValue) }
            w.raw("}")
        } else {
            w.raw("null")
        }
        w.raw(",\"default\":"); w.rawString(v.defaultAction?.rawValue)
        w.raw(v.encryptionRequired ? ",\"encryption_required\":true" : ",\"encryption_required\":false")
        w.raw(",\"findings\":{")
        for (i, (state, list)) in [("cleartext", v.cleartext), ("encrypted", v.encrypted), ("unknown", v.unknown)].enumerated() {
            if i > 0 { w.raw(",") }
            w.rawString(state); w.raw(":")
            JSONReportWriter.writeFindings(w, list)
        }
        w.raw("}}")
        return text(w)
    }

    // MARK: human formats

    static func names(_ sim: Simulation, _ list: [Int], limit: Int = 6) -> String {
        let shown = list.prefix(limit).map { sim.places[$0].name }.joined(separator: ", ")
        return list.count > limit ? "\(shown) and \(list.count - limit) more" : shown
    }

    static func ruleText(_ r: RuleRef?) -> String {
        r.map { "\($0.segment.rawValue) '\($0.name)' (line \($0.line))" } ?? ""
    }

    static func serviceText(_ s: SimulatedService) -> String {
        var t = s.ports.map { "\(s.transport)/\($0)" } ?? s.transport
        t += " \(s.decision)"
        if let r = s.rule { t += " by '\(r.name)'" } else if s.decision != "unfiltered" { t += " by default" }
        if s.cleartextAccepted { t += " (cleartext accepted)" }
        return t
    }

    static func summaryLine(_ sim: Simulation) -> String {
        let counts = Severity.allCases.sorted(by: >).map { sev in "\(sim.findings.filter { $0.severity == sev }.count) \(sev.rawValue)" }
        return "\(sim.places.count) places, \(sim.pairs.count) pair groups; findings: \(counts.joined(separator: ", "))"
    }

    static func outcomeText(_ o: PairOutcome) -> String {
        var t = "\(o.segment.rawValue), \(o.responsible.rawValue)"
        if let p = o.path { t += ", via \(p.enters) → \(p.leaves)" }
        if o.encryptionRequired { t += ", encryption required" }
        return t
    }

    public static func table(_ sim: Simulation) -> String {
        var out = "Scenario \(sim.scenario.name) (\(sim.scenario.source)): \(summaryLine(sim))\n\n"
        out += "Findings\n"
        if sim.findings.isEmpty { out += "  none\n" }
        for f in sim.findings {
            var at = f.rule.map { "  [\(ruleText($0))]" } ?? ""
            if let p = f.place, f.rule == nil { at = "  [\(p)]" }
            out += "  \(pad(f.severity.rawValue.uppercased(), 8)) \(f.code) (\(f.party.rawValue)): \(f.message)\(at)\n"
        }
        out += "\nPlaces\n"
        for p in sim.places {
            let within = p.within.map { " within \($0)" } ?? ""
            out += "  \(p.name) (\(p.kind.rawValue), \(p.owner.rawValue)\(within))\(p.cidrs.isEmpty ? "" : ": " + p.cidrs.joined(separator: ", "))\n"
        }
        out += "\nPairs (from → to: segment, party; services)\n"
        for pair in sim.pairs {
            let scope = pair.zonePairs == .all ? "" : (pair.zonePairs == .same ? " [same zone]" : " [different zones]")
            out += "  \(names(sim, pair.from)) → \(names(sim, pair.to))\(scope): \(outcomeText(pair.outcome))\n"
            for s in pair.outcome.services { out += "      \(serviceText(s))\n" }
        }
        return out
    }

    public static func markdown(_ sim: Simulation) -> String {
        var out = "# Scenario \(sim.scenario.name)\n\n\(summaryLine(sim))\n\n## Findings\n\n"
        if sim.findings.isEmpty { out += "None.\n" } else {
            out += "| severity | code | party | rule or place | message |\n|---|---|---|---|---|\n"
            for f in sim.findings {
                out += "| \(f.severity.rawValue) | \(f.code) | \(f.party.rawValue) | \(f.rule.map(ruleText) ?? f.place ?? "") | \(md(f.message)) |\n"
            }
        }
        out += "\n## Places\n\n| place | kind | owner | within | cidrs |\n|---|---|---|---|---|\n"
        for p in sim.places {
            out += "| \(md(p.name)) | \(p.kind.rawValue) | \(p.owner.rawValue) | \(md(p.within ?? "")) | \(md(p.cidrs.joined(separator: ", "))) |\n"
        }
        out += "\n## Pairs\n\n| from | to | outcome | services |\n|---|---|---|---|\n"
        for pair in sim.pairs {
            let scope = pair.zonePairs == .all ? "" : (pair.zonePairs == .same ? " (same zone)" : " (different zones)")
            out += "| \(md(names(sim, pair.from))) | \(md(names(sim, pair.to)))\(scope) | \(md(outcomeText(pair.outcome))) | \(md(pair.outcome.services.map(serviceText).joined(separator: "; "))) |\n"
        }
        return out
    }

    static func md(_ s: String) -> String { s.contains("|") ? s.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") : s }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func esc(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "&": o += "&amp;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }

    /// The matrix as a grid, sources by destinations, each cell coloured by its decision
    /// and party, its services in the cell's title (on hover) and listed on click.
    public static func html(_ sim: Simulation) -> String {
        var cell: [Int: [Int: (PairOutcome, ZonePairs)]] = [:]
        let gridLimit = 60
        let shown = Array(sim.places.indices.prefix(gridLimit))
        let shownSet = Set(shown)
        for pair in sim.pairs {
            for a in pair.from where shownSet.contains(a) {
                for b in pair.to where shownSet.contains(b) {
                    let pa = sim.places[a], pb = sim.places[b]
                    let sameZone = pa.node == nil && pb.node == nil && pa.zone != nil && pa.zone == pb.zone
                    if pair.zonePairs == .same && !sameZone { continue }
                    if pair.zonePairs == .different && sameZone { continue }
                    cell[a, default: [:]][b] = (pair.outcome, pair.zonePairs)
                }
            }
        }
        var out = """
        <!doctype html><html><head><meta charset="utf-8"><title>demarc simulate: \(esc(sim.scenario.name))</title>
        <style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 4px;font-size:12px}
        td.allow{background:#f4c7c3}td.deny{background:#c8e6c9}td.mixed{background:#ffe0b2}td.unfiltered{background:#ef9a9a}td.none{background:#eee}td.internal{background:#bbdefb}
        td.provider{border-bottom:3px solid #1565c0}td.shared{border-bottom:3px solid #6a1b9a}td.customer{border-bottom:3px solid #2e7d32}
        th.v{writing-mode:vertical-rl}</style></head><body>
        <h1>Scenario \(esc(sim.scenario.name))</h1><p>\(esc(summaryLine(sim)))</p><h2>Findings</h2><ul>
        """
        for f in sim.findings {
            out += "<li><b>\(f.severity.rawValue)</b> \(esc(f.code)) (\(f.party.rawValue)) \(esc(f.rule.map(ruleText) ?? f.place ?? "")): \(esc(f.message))</li>"
        }
        out += "</ul><h2>Matrix</h2><p>Rows are sources, columns destinations; a cell is red where it allows, green where it denies, orange where both, deep red where unfiltered, blue inside the provider's boundary (internal, never filtered), grey on the link; its border is the party. Hover or click a cell for its services.\(sim.places.count > gridLimit ? " The first \(gridLimit) of \(sim.places.count) places are shown." : "")</p><table><tr><th></th>"
        for b in shown { out += "<th class=\"v\">\(esc(sim.places[b].name))</th>" }
        out += "</tr>"
        for a in shown {
            out += "<tr><th>\(esc(sim.places[a].name))</th>"
            for b in shown {
                guard let (o, _) = cell[a]?[b] else { out += "<td class=\"none\"></td>"; continue }
                let decisions = Set(o.services.map(\.decision))
                // Internal traffic is never filtered (SCENARIO.md): shown apart, not as an open filter.
                let cls = o.segment == .internal ? "internal" : (o.services.isEmpty ? "none" : (decisions.count > 1 ? "mixed" : decisions.first!))
                let title = "\(sim.places[a].name) → \(sim.places[b].name): \(outcomeText(o))\n" + o.services.map(serviceText).joined(separator: "\n")
                out += "<td class=\"\(cls) \(o.responsible.rawValue)\" title=\"\(esc(title))\" onclick=\"document.getElementById('detail').textContent=this.title\">\(o.segment.rawValue.prefix(2))</td>"
            }
            out += "</tr>"
        }
        out += "</table><pre id=\"detail\"></pre></body></html>\n"
        return out
    }

    public static func table(_ v: FlowVerdict) -> String {
        var out = "\(v.client) → \(v.server) on \(v.service)\n"
        out += "  segment: \(v.segment.rawValue)\(v.path.map { " (enters \($0.enters), leaves \($0.leaves))" } ?? "")\n"
        out += "  responsible: \(v.responsible.rawValue)\n"
        if let r = v.rule { out += "  rule: \(r.segment.rawValue) '\(r.name)' (\(r.action.rawValue))\n" }
        else if let d = v.defaultAction { out += "  rule: none; default \(d.rawValue)\n" }
        else { out += "  rule: none (no filters on this segment)\n" }
        out += "  encryption required: \(v.encryptionRequired ? "yes" : "no")\n"
        for (state, list) in [("cleartext", v.cleartext), ("encrypted", v.encrypted), ("unknown", v.unknown)] {
            out += "  if \(state): \(list.isEmpty ? "no findings" : "")\n"
            for f in list { out += "    \(f.severity.rawValue) \(f.code) (\(f.party.rawValue)): \(f.message)\n" }
        }
        return out
    }
}
