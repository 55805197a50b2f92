import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `demarc diff`: every flow classified under two scenarios, and what changes between
/// them. A flow changes when its segment or transit path, responsible party, filter rule or findings do
/// (a finding differs by code, party, severity, or whether an `accept` entry covers it).
public struct FlowChange: Sendable {
    public struct Side: Sendable {
        public var segment: Segment
        public var path: TransitPath?
        public var responsible: Party
        public var rule: RuleMatch?
        public var findings: [Finding]
        init(_ r: FlowRecord) {
            segment = r.segment; path = r.path; responsible = r.responsible; rule = r.rule; findings = r.findings
        }
    }

    public var id: UInt64
    public var transport: String
    public var client: FlowRecord.Endpoint
    public var server: FlowRecord.Endpoint
    /// The flow's protocol, for people ("http", "tls").
    public var application: String?
    public var before: Side
    public var after: Side
    /// Findings AFTER has and BEFORE has not, and the reverse.
    public var added: [Finding]
    public var removed: [Finding]

    /// The change between the two records of one flow, or nil when nothing changed.
    public init?(before b: FlowRecord, after a: FlowRecord) {
        let bk = Set(b.findings.map(\.diffKey)), ak = Set(a.findings.map(\.diffKey))
        guard b.segment != a.segment || b.path != a.path || b.responsible != a.responsible || b.rule != a.rule || bk != ak else { return nil }
        id = b.id; transport = b.transport; client = b.client; server = b.server; application = b.application
        before = Side(b); after = Side(a)
        added = a.findings.filter { !bk.contains($0.diffKey) }
        removed = b.findings.filter { !ak.contains($0.diffKey) }
    }
}

extension Finding {
    /// What makes two findings of one flow the same for a diff: code, party, severity,
    /// and whether it counts (an unexpired acceptance covers it or not).
    struct DiffKey: Hashable {
        var code: String
        var party: Party
        var severity: Severity
        var counts: Bool
    }
    var diffKey: DiffKey { DiffKey(code: code, party: party, severity: severity, counts: counts) }
}

/// Findings added or removed, by code, party and severity, over all changed flows.
public struct FindingDelta: Sendable, Comparable {
    public var code: String
    public var party: Party
    public var severity: Severity
    /// Accepted (until its end date) under the scenario that has it.
    public var accepted: Bool
    public var flows: Int

    public static func < (a: FindingDelta, b: FindingDelta) -> Bool {
        (b.severity.rank, a.code, a.party.rawValue, a.accepted ? 1 : 0) < (a.severity.rank, b.code, b.party.rawValue, b.accepted ? 1 : 0)
    }

    static func tally(_ findings: [Finding]) -> [FindingDelta] {
        var n: [Finding.DiffKey: FindingDelta] = [:]
        for f in findings {
            n[f.diffKey, default: FindingDelta(code: f.code, party: f.party, severity: f.severity, accepted: !f.counts, flows: 0)].flows += 1
        }
        return n.values.sorted()
    }
}

public struct DiffReport: Sendable {
    public var toolVersion = DemarcVersion.string
    public var before: (name: String, source: String)
    public var after: (name: String, source: String)
    public var inputs: [InputStats] = []
    public var flows: UInt64 = 0
    public var changes: [FlowChange] = []
    public var expectationsBefore: [ExpectationResult] = []
    public var expectationsAfter: [ExpectationResult] = []
    public var failOn: Severity = .high
    /// AFTER's summary: its rules' use is reported (`summary.rules`, `summary.unused_rules`).
    public var afterSummary = Summary()

    public init(before: (String, String), after: (String, String)) { self.before = before; self.after = after }

    public var added: [FindingDelta] { FindingDelta.tally(changes.flatMap(\.added)) }
    public var removed: [FindingDelta] { FindingDelta.tally(changes.flatMap(\.removed)) }

    /// Expectations BEFORE met and AFTER fails.
    public var regressions: [ExpectationResult] {
        expectationsAfter.enumerated().filter { i, e in
            !e.passed && i < expectationsBefore.count && expectationsBefore[i].passed
                && expectationsBefore[i].expectation.text == e.expectation.text
        }.map(\.element)
    }

    /// Added findings at or above `--fail-on` that count (no unexpired acceptance).
    public var blocking: Int { changes.reduce(0) { $0 + $1.added.filter { $0.counts && $0.severity >= failOn }.count } }

    /// REPORT.md: exit 1 when AFTER adds a finding at or above --fail-on, or fails an
    /// expectation BEFORE met.
    public var exitStatus: Int32 { blocking > 0 || !regressions.isEmpty ? 1 : 0 }
}

/// The formats `diff` writes: table, json (jsonl: one line per change, then a summary
/// line), markdown (for a pull request) and html.
public enum DiffWriter {
    public static func write(_ d: DiffReport, format: ReportFormat, to output: Output) throws {
        switch format {
        case .json: output.write(json(d, lines: false))
        case .jsonl: output.write(json(d, lines: true))
        case .table: output.write(text(d).visible(keepingLineBreaks: true))
        case .markdown: output.write(markdown(d))
        case .html: output.write(html(d))
        case .csv: output.write(csv(d))
        case .ecs, .ocsf, .cbom:
            throw DemarcError.badInput("diff writes table, json, jsonl, csv, markdown or html, not \(format.rawValue)")
        }
        output.flush()
    }

    /// The columns of `diff --format csv`: the flow, then each side's segment, party,
    /// rule and findings (codes with severity and party, as replay's csv writes them).
    public static let csvHeader = ["id", "transport", "client_ip", "client_port", "client_zone", "server_ip", "server_port",
                                   "server_zone", "application", "before_segment", "before_responsible", "before_rule",
                                   "before_findings", "after_segment", "after_responsible", "after_rule", "after_findings",
                                   "added_findings", "removed_findings"]

    /// One row per changed flow, RFC 4180, the same quoting as replay's csv.
    static func csv(_ d: DiffReport) -> String {
        func findings(_ list: [Finding]) -> String {
            list.map { "\($0.code) (\($0.severity.rawValue), \($0.party.rawValue)\($0.counts ? "" : ", accepted"))" }.joined(separator: "; ")
        }
        func rule(_ r: RuleMatch?) -> String { r.map { "\($0.name) (\($0.action.rawValue))" } ?? "" }
        var o = csvHeader.joined(separator: ",") + "\r\n"
        for c in d.changes {
            let cells = [String(c.id), c.transport, c.client.ip, c.client.port.map(String.init) ?? "", c.client.zone,
                         c.server.ip, c.server.port.map(String.init) ?? "", c.server.zone, c.application ?? "",
                         c.before.segment.rawValue, c.before.responsible.rawValue, rule(c.before.rule), findings(c.before.findings),
                         c.after.segment.rawValue, c.after.responsible.rawValue, rule(c.after.rule), findings(c.after.findings),
                         findings(c.added), findings(c.removed)]
            o += cells.map { CSVReportWriter.quote($0.visible()) }.joined(separator: ",") + "\r\n"
        }
        return o
    }

    static func side(_ s: FlowChange.Side) -> String {
        let rule = s.rule.map { " rule " + Fmt.rule($0, action: false) } ?? ""
        let f = s.findings.map { $0.code + ($0.counts ? "" : " (accepted)") }
        let segment = s.path.map { "\(s.segment.rawValue) (\($0.enters) → \($0.leaves))" } ?? s.segment.rawValue
        return "\(segment)/\(s.responsible.rawValue)\(rule)" + (f.isEmpty ? "" : ": " + f.joined(separator: ", "))
    }

    static func flowLabel(_ c: FlowChange) -> String {
        "#\(c.id) \(c.transport) \(Fmt.endpoint(c.client)) (\(c.client.zone)) → \(Fmt.endpoint(c.server)) (\(c.server.zone))"
            + (c.application.map { " \($0)" } ?? "")
    }

    static func deltaLine(_ x: FindingDelta) -> String {
        "\(x.severity.rawValue) \(x.code) (\(x.party.rawValue))\(x.accepted ? ", accepted" : "") ×\(x.flows)"
    }

    static func verdict(_ d: DiffReport) -> String {
        var why: [String] = []
        if d.blocking > 0 { why.append("\(d.blocking) added findings at \(d.failOn.rawValue) or above") }
        if !d.regressions.isEmpty { why.append("expectations no longer met: " + d.regressions.map(\.expectation.text).joined(separator: "; ")) }
        return why.isEmpty ? "no added finding at \(d.failOn.rawValue) or above, no expectation lost" : why.joined(separator: "; ")
    }

    static func text(_ d: DiffReport) -> String {
        var o = "demarc \(d.toolVersion) diff — \(d.before.name) (\(d.before.source)) → \(d.after.name) (\(d.after.source))\n"
        for i in d.inputs { o += "input: \(i.name) [\(i.linkType)] \(i.packets) packets\n" }
        o += "\(d.flows) flows, \(d.changes.count) of them change\n\n"
        o += "Findings added\(d.added.isEmpty ? ": none" : "")\n" + d.added.map { "  + " + deltaLine($0) + "\n" }.joined()
        o += "Findings removed\(d.removed.isEmpty ? ": none" : "")\n" + d.removed.map { "  - " + deltaLine($0) + "\n" }.joined()
        o += "\nFlows that change\(d.changes.isEmpty ? ": none" : "")\n"
        for c in d.changes {
            o += "  \(flowLabel(c))\n    before: \(side(c.before))\n    after:  \(side(c.after))\n"
        }
        if d.afterSummary.hasFilters {
            o += "\nRules of AFTER\n" + Fmt.ruleLines(d.afterSummary).map { "  \($0)\n" }.joined()
        }
        o += "\nResult: \(d.exitStatus == 0 ? "pass" : "FAIL") (\(verdict(d)))\n"
        return o
    }

    static func markdown(_ d: DiffReport) -> String {
        func cell(_ s: String) -> String { MarkdownReportWriter.cell(s) }
        var o = "# demarc diff: \(cell(d.before.name)) → \(cell(d.after.name))\n\n"
        o += "`\(d.before.source)` → `\(d.after.source)`, \(d.flows) flows, \(d.changes.count) of them change.\n\n"
        o += "**\(d.exitStatus == 0 ? "Pass" : "Fail")**: \(cell(verdict(d))).\n\n"
        o += "## Findings added and removed\n\n| change | severity | code | party | accepted | flows |\n|---|---|---|---|---|---:|\n"
        for (sign, list) in [("added", d.added), ("removed", d.removed)] {
            for x in list { o += "| \(sign) | \(x.severity.rawValue) | \(x.code) | \(x.party.rawValue) | \(x.accepted ? "yes" : "no") | \(x.flows) |\n" }
        }
        o += "\n## Flows that change\n\n| flow | before | after |\n|---|---|---|\n"
        for c in d.changes { o += "| \(cell(flowLabel(c))) | \(cell(side(c.before))) | \(cell(side(c.after))) |\n" }
        if d.afterSummary.hasFilters {
            o += "\n## Rules of AFTER\n\n" + Fmt.ruleLines(d.afterSummary).map { "- \(cell($0))\n" }.joined()
        }
        return o
    }

    static func html(_ d: DiffReport) -> String {
        func esc(_ s: String) -> String { HTMLReportWriter.esc(s) }
        var o = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>demarc diff: \(esc(d.before.name)) → \(esc(d.after.name))</title>
        <style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}
        td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.add{color:#a40000}.rem{color:#2e7d32}</style>
        </head><body>
        <h1>demarc diff: \(esc(d.before.name)) → \(esc(d.after.name))</h1>
        <p>\(esc(d.before.source)) → \(esc(d.after.source)); \(d.flows) flows, \(d.changes.count) of them change.
        <b>\(d.exitStatus == 0 ? "Pass" : "Fail")</b>: \(esc(verdict(d))).</p>
        <h2>Findings added and removed</h2><ul>

        """
        for x in d.added { o += "<li class=\"add\">+ \(esc(deltaLine(x)))</li>\n" }
        for x in d.removed { o += "<li class=\"rem\">− \(esc(deltaLine(x)))</li>\n" }
        o += "</ul>\n<h2>Flows that change</h2>\n<table><thead><tr><th>flow</th><th>before</th><th>after</th></tr></thead><tbody>\n"
        for c in d.changes { o += "<tr><td>\(esc(flowLabel(c)))</td><td>\(esc(side(c.before)))</td><td>\(esc(side(c.after)))</td></tr>\n" }
        o += "</tbody></table>\n"
        if d.afterSummary.hasFilters {
            o += "<h2>Rules of AFTER</h2><ul>\n" + Fmt.ruleLines(d.afterSummary).map { "<li>\(esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        return o + "</body></html>\n"
    }

    static func json(_ d: DiffReport, lines: Bool) -> String {
        let w = JSONWriter()
        func take() -> String { let s = String(decoding: w.bytes, as: UTF8.self); w.reset(); return s }
        func findings(_ key: StaticString, _ list: [Finding]) {
            w.beginArray(key)
            for f in list {
                w.beginObject()
                w.field("code", f.code); w.field("severity", f.severity.rawValue); w.field("party", f.party.rawValue)
                w.field("accepted", !f.counts)
                w.endObject()
            }
            w.endArray()
        }
        func side(_ key: StaticString, _ s: FlowChange.Side) {
            w.beginObject(key)
            w.field("segment", s.segment.rawValue)
            if let p = s.path { w.beginObject("path"); w.field("enters", p.enters); w.field("leaves", p.leaves); w.endObject() }
            w.field("responsible", s.responsible.rawValue)
            if let r = s.rule {
                w.beginObject("rule"); w.field("segment", r.segment.rawValue); w.field("name", r.name)
                w.field("action", r.action.rawValue)
                if let p = r.responsible { w.field("responsible", p.rawValue) }
                w.endObject()
            } else {
                w.field("rule", nil as String?)
            }
            findings("findings", s.findings)
            w.endObject()
        }
        func endpoint(_ key: StaticString, _ e: FlowRecord.Endpoint) {
            w.beginObject(key); w.field("ip", e.ip); w.field("port", e.port); w.field("zone", e.zone); w.field("node", e.node); w.endObject()
        }
        func change(_ c: FlowChange) {
            w.field("id", c.id); w.field("transport", c.transport)
            endpoint("client", c.client); endpoint("server", c.server)
            w.field("application", c.application)
            side("before", c.before); side("after", c.after)
            findings("added", c.added); findings("removed", c.removed)
        }
        func deltas(_ key: StaticString, _ list: [FindingDelta]) {
            w.beginArray(key)
            for x in list {
                w.beginObject()
                w.field("code", x.code); w.field("party", x.party.rawValue); w.field("severity", x.severity.rawValue)
                w.field("accepted", x.accepted); w.field("flows", x.flows)
                w.endObject()
            }
            w.endArray()
        }
        func expectations(_ key: StaticString, _ list: [ExpectationResult]) {
            w.beginArray(key)
            for e in list { w.beginObject(); w.field("expect", e.expectation.text); w.field("passed", e.passed); w.endObject() }
            w.endArray()
        }
        func tail() {
            w.beginObject("tool"); w.field("name", "demarc"); w.field("version", d.toolVersion); w.endObject()
            w.beginObject("before"); w.field("name", d.before.name); w.field("source", d.before.source); w.endObject()
            w.beginObject("after"); w.field("name", d.after.name); w.field("source", d.after.source); w.endObject()
            JSONReportWriter.writeInputs(w, d.inputs)
            w.beginObject("summary")
            w.field("flows", d.flows); w.field("changed", d.changes.count)
            deltas("findings_added", d.added); deltas("findings_removed", d.removed)
            expectations("expectations_before", d.expectationsBefore); expectations("expectations_after", d.expectationsAfter)
            w.field("fail_on", d.failOn.rawValue); w.field("blocking", d.blocking); w.field("passed", d.exitStatus == 0)
            JSONReportWriter.writeRules(w, d.afterSummary)
            w.endObject()
        }
        if lines {
            var o = ""
            for c in d.changes {
                w.beginObject(); w.field("type", "change"); change(c); w.endObject()
                o += take() + "\n"
            }
            w.beginObject(); w.field("type", "summary"); tail(); w.endObject()
            return o + take() + "\n"
        }
        w.beginObject()
        tail()
        w.beginArray("changes")
        for c in d.changes { w.beginObject(); change(c); w.endObject() }
        w.endArray()
        w.endObject()
        return take() + "\n"
    }
}
