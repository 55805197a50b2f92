import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `table`: for a terminal. A header, a per-party summary, the findings grouped by
/// severity then party (a few example flows per code), and the flows sorted by severity
/// then bytes; past `--rows` flows, the top ones by bytes (`--all-flows` lists all).
public final class TableReportWriter: ReportWriter {
    private let output: Output
    private let options: ReportOptions
    private var digest: ReportDigest

    public init(output: Output, options: ReportOptions) {
        self.output = output
        self.options = options
        self.digest = ReportDigest(rowLimit: options.rowLimit)
    }

    public func begin(_ header: ReportHeader) {}

    public func flow(_ record: FlowRecord) {
        digest.add(record)
        if options.live && !record.findings.isEmpty {
            for f in record.findings {
                // On a terminal, first erase the status line that may stand on this row.
                if output.isTerminal { output.write("\r\u{1b}[K") }
                output.write(paint("[\(f.severity.rawValue.uppercased())]", f.severity) + " flow \(record.id) \(f.party.rawValue): \(f.message)\n")
            }
            output.flush()
        }
    }

    private func paint(_ s: String, _ sev: Severity?) -> String {
        guard options.color, let sev else { return s }
        let code: String
        switch sev {
        case .critical: code = "1;31"
        case .high: code = "31"
        case .medium: code = "33"
        case .low: code = "36"
        case .info: code = "2"
        }
        return "\u{1b}[\(code)m\(s)\u{1b}[0m"
    }

    private func bold(_ s: String) -> String { options.color ? "\u{1b}[1m\(s)\u{1b}[0m" : s }

    public func finish(_ h: ReportHeader) {
        // Not a terminal: no width to fit, so nothing is cut.
        let width = options.width ?? Int.max / 4
        var out = ""
        out += bold("demarc \(h.toolVersion)") + " — scenario \(h.scenarioName) (\(h.scenarioSource))\n"
        for i in h.inputs {
            var line = "input: \(i.name) [\(i.linkType)] \(i.packets) packets, \(Fmt.bytes(i.bytes))"
            if i.undecoded > 0 { line += ", \(i.undecoded) undecoded" }
            if i.nonIP > 0 { line += ", \(i.nonIP) not IP" }
            if i.linkEncrypted > 0 { line += ", \(i.linkEncrypted) encrypted at the link layer" }
            if let d = i.dropped { line += ", \(d) dropped by the kernel" }
            if let q = i.queueDropped, q > 0 { line += ", \(q) dropped by demarc (analysis fell behind)" }
            if i.truncated { line += ", TRUNCATED" }
            if let e = i.error { line += " (\(e))" }
            out += line + "\n"
        }
        let s = h.summary
        out += "\(s.total.flows) flows, \(s.total.packets) packets, \(Fmt.bytes(s.total.bytes))\n\n"

        out += bold("Responsibility") + "\n"
        let sevs = Severity.allCases.sorted(by: >)
        out += Fmt.pad("party", 10) + Fmt.pad("flows", 8, right: true) + Fmt.pad("packets", 11, right: true)
            + Fmt.pad("bytes", 11, right: true) + "  " + sevs.map { Fmt.pad($0.rawValue, 9, right: true) }.joined() + "\n"
        for p in Party.allCases {
            let c = s.counts(p)
            let pf = s.partyFindings[p] ?? [:]
            if c.flows == 0 && pf.isEmpty { continue }
            out += Fmt.pad(p.rawValue, 10) + Fmt.pad(String(c.flows), 8, right: true) + Fmt.pad(String(c.packets), 11, right: true)
                + Fmt.pad(Fmt.bytes(c.bytes), 11, right: true) + "  "
                + sevs.map { Fmt.pad(String(pf[$0] ?? 0), 9, right: true) }.joined() + "\n"
        }
        out += "\n"
        out += bold("Segments") + "\n"
        for seg in Segment.allCases {
            let c = s.counts(seg)
            if c.flows == 0 { continue }
            out += "  " + Fmt.pad(seg.rawValue, 10) + "\(c.flows) flows, \(c.packets) packets, \(Fmt.bytes(c.bytes))\n"
            if seg == .transit {
                for line in Fmt.transitPaths(s) { out += "    through " + line + "\n" }
            }
        }
        out += "\n"

        // Accepted findings (until their end date) are listed apart, under Accepted risks.
        out += bold("Findings") + (digest.findingCount == 0 ? ": none\n" : "\n")
        var partyHeader: (Severity, Party)?
        for key in digest.groups.keys.sorted() {
            if partyHeader.map({ $0 != key.severity || $1 != key.party }) ?? true {
                partyHeader = (key.severity, key.party)
                let n = digest.groups.filter { $0.key.severity == key.severity && $0.key.party == key.party }.reduce(0) { $0 + $1.value.count }
                out += paint("\(key.severity.rawValue.uppercased())", key.severity) + " — \(key.party.rawValue) must act (\(n)):\n"
            }
            let g = digest.groups[key]!
            out += "  \(key.code) ×\(g.count)\n"
            for e in g.examples {
                out += "    " + Fmt.truncate("#\(e.id) \(e.message)", width - 4) + "\n"
            }
            if g.count > g.examples.count { out += "    … and \(g.count - g.examples.count) more\n" }
        }
        let accepted = Fmt.acceptanceLines(digest.acceptedByEntry, h)
        if h.acceptances != nil {
            out += "\n" + bold("Accepted risks") + (accepted.isEmpty ? ": none\n" : "\n")
            for line in accepted { out += "  " + Fmt.truncate(line, width - 2) + "\n" }
        }
        if !h.expectations.isEmpty {
            out += "\n" + bold("Expectations") + "\n"
            for e in h.expectations {
                out += "  " + (e.passed ? "pass" : paint("FAIL", .high)) + "  \(e.expectation.text): \(e.detail)\n"
            }
        }
        let (listed, complete) = digest.listed
        out += "\n" + bold("Flows") + (complete ? "" : " (" + Fmt.topNote(digest, shown: listed.count) + ")") + "\n"
        // Fixed columns, then findings. On a narrow terminal the least telling columns
        // go first (proto, packets, rule, zones, party), so that encryption and findings
        // stay in view; what still does not fit is cut at the terminal's width.
        let all: [(name: String, width: Int, right: Bool, dropRank: Int)] = [
            ("id", 5, true, 99), ("proto", 5, false, 1), ("client", 21, false, 99), ("zone", 12, false, 4),
            ("server", 21, false, 99), ("zone", 12, false, 5), ("segment", 8, false, 99),
            ("party", 8, false, 6), ("encryption", 21, false, 99), ("rule", 12, false, 3),
            ("pkts", 6, true, 2), ("bytes", 9, true, 99), ("findings", 0, false, 99)]
        var keep = Array(repeating: true, count: all.count)
        let findingsRoom = 24
        func fixedWidth() -> Int { all.indices.filter { keep[$0] }.reduce(0) { $0 + (all[$1].width > 0 ? all[$1].width + 1 : 0) } }
        for rank in 1...6 where fixedWidth() + findingsRoom > width {
            if let i = all.firstIndex(where: { $0.dropRank == rank }) { keep[i] = false }
        }
        func row(_ vals: [String]) -> String {
            var line = ""
            for (i, c) in all.enumerated() where keep[i] {
                if c.width == 0 { line += vals[i] } else { line += Fmt.pad(Fmt.truncate(vals[i], c.width), c.width, right: c.right) + " " }
            }
            while line.last == " " { line.removeLast() }
            return Fmt.truncate(line, width)
        }
        out += row(all.map(\.name)) + "\n"
        output.write(out)
        for r in listed {
            let line = row([String(r.id), r.transport, Fmt.endpoint(r.client), r.client.zone, Fmt.endpoint(r.server), r.server.zone,
                            r.segment.rawValue, r.responsible.rawValue, Fmt.encryption(r),
                            r.rule.map { Fmt.rule($0, action: false) } ?? "-",
                            String(r.packets), Fmt.bytes(r.bytes), Fmt.findingCodes(r)])
            output.write(paint(line, r.worstSeverity) + "\n")
        }
        output.flush()
    }
}
