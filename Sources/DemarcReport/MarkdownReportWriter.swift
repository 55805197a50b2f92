import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `markdown`: summary, findings and flows as GitHub-flavoured tables, for tickets and
/// pull requests. Bounded like the table: past `--rows`, findings by code with example
/// flows, and the top flows by bytes.
public final class MarkdownReportWriter: ReportWriter {
    private let output: Output
    private var digest: ReportDigest
    private let failOn: Severity?

    public init(output: Output, options: ReportOptions = ReportOptions()) {
        self.output = output
        self.digest = ReportDigest(rowLimit: options.rowLimit, aggregates: true)
        self.failOn = options.failOn
    }

    public func begin(_ header: ReportHeader) {}
    public func flow(_ record: FlowRecord) { digest.add(record) }

    /// Text in a table cell or a line: control characters escaped, and what a
    /// Markdown renderer would read as a table break or as raw HTML (`|`, `<`, `>`, `&`)
    /// written so it shows as itself.
    static func cell(_ s: String) -> String {
        Escaping.replacing(s.visible()) { c in
            switch c {
            case "|": return "\\|"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "&": return "&amp;"
            default: return nil
            }
        }
    }

    /// Text as a code span: a run of backticks longer than any inside it delimits it
    /// (CommonMark), so the text cannot end the span; control characters escaped.
    static func code(_ s: String) -> String {
        let s = s.visible()
        var longest = 0, run = 0
        for c in s { run = c == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = s.first == "`" || s.last == "`" ? " " : ""
        return fence + pad + s + pad + fence
    }

    public func finish(_ h: ReportHeader) {
        var o = "# demarc report: \(MarkdownReportWriter.cell(h.scenarioName))\n\n"
        o += "Scenario \(MarkdownReportWriter.code(h.scenarioSource)), demarc \(h.toolVersion).\n\n"
        let verdict = Fmt.verdict(h, failOn: failOn)
        o += "**Result: \(verdict.passed ? "pass" : "FAIL")** — \(MarkdownReportWriter.cell(verdict.detail)).\n\n"
        // Interfaces add what was dropped (by the kernel, and by demarc's capture ring).
        let live = h.inputs.contains { $0.dropped != nil }
        o += "| input | link type | packets | bytes | undecoded | truncated |" + (live ? " dropped | queue dropped |" : "")
            + "\n|---|---|---:|---:|---:|---|" + (live ? "---:|---:|" : "") + "\n"
        for i in h.inputs {
            o += "| \(MarkdownReportWriter.cell(i.name)) | \(i.linkType) | \(i.packets) | \(i.bytes) | \(i.undecoded) | \(i.truncated ? "yes" : "no") |"
                + (live ? " \(i.dropped ?? 0) | \(i.queueDropped ?? 0) |" : "") + "\n"
        }
        for i in h.inputs where i.linkEncrypted > 0 {
            o += "\n\(MarkdownReportWriter.cell(i.name)): \(i.linkEncrypted) frames encrypted at the link layer (MACsec, "
                + "protected 802.11): the link is encrypted, and no flow inside them is visible.\n"
        }
        let s = h.summary
        let sevs = Severity.allCases.sorted(by: >)
        o += "\n## Summary\n\n\(s.total.flows) flows, \(s.total.packets) packets, \(Fmt.bytes(s.total.bytes)).\n\n"
        o += "| party | flows | packets | bytes | " + sevs.map(\.rawValue).joined(separator: " | ") + " |\n"
        o += "|---|---:|---:|---:|" + sevs.map { _ in "---:|" }.joined() + "\n"
        for p in Party.allCases {
            let c = s.counts(p)
            let pf = s.partyFindings[p] ?? [:]
            if c.flows == 0 && pf.isEmpty { continue }
            o += "| \(p.rawValue) | \(c.flows) | \(c.packets) | \(c.bytes) | " + sevs.map { String(pf[$0] ?? 0) }.joined(separator: " | ") + " |\n"
        }
        o += "\n| segment | flows | packets | bytes |\n|---|---:|---:|---:|\n"
        for seg in Segment.allCases {
            let c = s.counts(seg)
            o += "| \(seg.rawValue) | \(c.flows) | \(c.packets) | \(c.bytes) |\n"
        }
        let paths = Fmt.transitPaths(s)
        if !paths.isEmpty {
            o += "\nTransit, by the nodes it enters and leaves at:\n\n" + paths.map { "- \(MarkdownReportWriter.cell($0))\n" }.joined()
        }
        let picture = BoundaryPicture(digest: digest, map: h.places)
        o += "\n## The boundary\n\nWhat the provider operates is in the \"Provider boundary\" group; each arrow is the flows of one service between two places, coloured by their worst finding (green: none).\n\n"
        o += picture.mermaid()
        if !picture.link.isEmpty {
            o += "\nLink traffic, which stays on the link it was sent on and crosses no boundary (broadcast, multicast, link-local), by place:\n\n"
            o += picture.linkLines.map { "- \(MarkdownReportWriter.cell($0))\n" }.joined()
        }
        o += "\n## Findings\n\n"
        if digest.findingCount == 0 {
            o += "None.\n"
        } else if let list = digest.findingList {
            let sorted = list.sorted { ($0.finding.severity.rank, $1.id) > ($1.finding.severity.rank, $0.id) }
            o += "| severity | party | code | flow | message |\n|---|---|---|---:|---|\n"
            for (id, f) in sorted {
                let note = f.acceptanceNote.map { " (\($0))" } ?? ""
                o += "| \(f.severity.rawValue) | \(f.party.rawValue) | \(f.code) | \(id) | \(MarkdownReportWriter.cell(f.message + note)) |\n"
            }
        } else {
            // Too many to list: by code, with the first flows of each as examples.
            o += "\(digest.findingCount) findings, by code (the first \(ReportDigest.examples) flows of each):\n\n"
            o += "| severity | party | code | flows | examples |\n|---|---|---|---:|---|\n"
            for key in digest.groups.keys.sorted() {
                let g = digest.groups[key]!
                let ex = g.examples.map { "\($0.id): \($0.message)" }.joined(separator: "; ")
                o += "| \(key.severity.rawValue) | \(key.party.rawValue) | \(key.code) | \(g.count) | \(MarkdownReportWriter.cell(ex)) |\n"
            }
        }
        if h.acceptances != nil {
            let accepted = Fmt.acceptanceLines(digest.acceptedByEntry, h)
            o += "\n## Accepted risks\n\n" + (accepted.isEmpty ? "None.\n" : accepted.map { "- \(MarkdownReportWriter.cell($0))\n" }.joined())
        }
        if h.summary.hasFilters {
            o += "\n## Rules\n\n" + Fmt.ruleLines(h.summary).map { "- \(MarkdownReportWriter.cell($0))\n" }.joined()
        }
        if !h.expectations.isEmpty {
            o += "\n## Expectations\n\n| expectation | result |\n|---|---|\n"
            for e in h.expectations {
                o += "| \(MarkdownReportWriter.cell(e.expectation.text)) | \(e.passed ? "pass" : "**fail**"): \(MarkdownReportWriter.cell(e.detail)) |\n"
            }
        }
        let (listed, complete) = digest.listed
        o += "\n## Flows\n\n" + (complete ? "" : "Listed: " + Fmt.topNote(digest, shown: listed.count) + ".\n\n") + "| id | transport | client | server | segment | party | encryption | application | packets | bytes | rule | findings |\n"
        o += "|---:|---|---|---|---|---|---|---|---:|---:|---|---|\n"
        output.write(o)
        for r in listed {
            let cells = [String(r.id), r.transport, "\(Fmt.endpoint(r.client)) (\(r.client.zone))",
                         "\(Fmt.endpoint(r.server)) (\(r.server.zone))", Fmt.segment(r), r.responsible.rawValue,
                         Fmt.encryption(r), r.application ?? "", String(r.packets), String(r.bytes),
                         r.rule.map { Fmt.rule($0, action: true) } ?? "", Fmt.findingCodes(r)]
            output.write("| " + cells.map(MarkdownReportWriter.cell).joined(separator: " | ") + " |\n")
        }
        output.flush()
    }
}
