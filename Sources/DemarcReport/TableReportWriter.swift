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
                output.write(paint("[\(f.severity.rawValue.uppercased())]", f.severity) + " flow \(record.id) \(f.party.rawValue): \(f.message.visible())\n")
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

    /// The run's verdict, repeated after the flows so it is the last thing on the screen:
    /// pass or fail (expectations, `--fail-on`) and the findings by severity.
    private func verdict(_ h: ReportHeader, width: Int) -> String {
        let v = Fmt.verdict(h, failOn: options.failOn)
        let lines = Fmt.wrap("Result: \(v.passed ? "pass" : "FAIL") — " + v.detail, width: width, indent: 2)
        let first = bold("Result: ") + (v.passed ? "pass" : paint("FAIL", .high)) + String(lines[0].dropFirst("Result: pass".count))
        return ([first] + lines.dropFirst()).joined(separator: "\n")
    }

    public func finish(_ h: ReportHeader) {
        // Not a terminal: no width to fit, so nothing is cut.
        let width = options.width ?? Int.max / 4
        var out = ""
        out += bold("demarc \(h.toolVersion)") + " — scenario \(h.scenarioName) (\(h.scenarioSource.visible()))\n"
        for i in h.inputs {
            var line = "input: \(i.name.visible()) [\(i.linkType)] \(i.packets) packets, \(Fmt.bytes(i.bytes))"
            if i.undecoded > 0 { line += ", \(i.undecoded) undecoded" }
            if i.nonIP > 0 { line += ", \(i.nonIP) not IP" }
            if i.linkEncrypted > 0 { line += ", \(i.linkEncrypted) encrypted at the link layer" }
            if let d = i.dropped { line += ", \(d) dropped by the kernel" }
            if let q = i.queueDropped, q > 0 { line += ", \(q) dropped by demarc (analysis fell behind)" }
            if i.truncated { line += ", TRUNCATED" }
            if let e = i.error { line += " (\(e.visible()))" }
            out += line + "\n"
        }
        let s = h.summary
        out += "\(s.total.flows) flows, \(s.total.packets) packets, \(Fmt.bytes(s.total.bytes))\n\n"

        out += bold("Responsibility") + "\n"
        let sevs = Severity.allCases.sorted(by: >)
        // 80 columns: party 10, flows 8, packets and bytes 10, five severities of 8.
        out += Fmt.pad("party", 10) + Fmt.pad("flows", 8, right: true) + Fmt.pad("packets", 10, right: true)
            + Fmt.pad("bytes", 10, right: true) + "  " + sevs.map { Fmt.pad($0.rawValue, 8, right: true) }.joined() + "\n"
        for p in Party.allCases {
            let c = s.counts(p)
            let pf = s.partyFindings[p] ?? [:]
            if c.flows == 0 && pf.isEmpty { continue }
            out += Fmt.pad(p.rawValue, 10) + Fmt.pad(String(c.flows), 8, right: true) + Fmt.pad(String(c.packets), 10, right: true)
                + Fmt.pad(Fmt.bytes(c.bytes), 10, right: true) + "  "
                + sevs.map { Fmt.pad(String(pf[$0] ?? 0), 8, right: true) }.joined() + "\n"
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
            // A message is wrapped, never cut: its end says what to do.
            for e in g.examples {
                for line in Fmt.wrap("#\(e.id) \(e.message)", width: width - 4, indent: 2) { out += "    " + line + "\n" }
            }
            if g.count > g.examples.count { out += "    … and \(g.count - g.examples.count) more\n" }
        }
        let accepted = Fmt.acceptanceLines(digest.acceptedByEntry, h)
        if h.acceptances != nil {
            out += "\n" + bold("Accepted risks") + (accepted.isEmpty ? ": none\n" : "\n")
            for line in accepted { out += "  " + Fmt.truncate(line, width - 2) + "\n" }
        }
        if h.summary.hasFilters {
            out += "\n" + bold("Rules") + "\n"
            for line in Fmt.ruleLines(h.summary) { out += "  " + Fmt.truncate(line, width - 2) + "\n" }
        }
        if !h.expectations.isEmpty {
            out += "\n" + bold("Expectations") + "\n"
            for e in h.expectations {
                let lines = Fmt.wrap("\(e.expectation.text): \(e.detail)", width: width - 8, indent: 2)
                out += "  " + (e.passed ? "pass" : paint("FAIL", .high)) + "  " + lines.joined(separator: "\n        ") + "\n"
            }
        }
        let (listed, complete) = digest.listed
        out += "\n" + bold("Flows") + (complete ? "" : " (" + Fmt.topNote(digest, shown: listed.count) + ")") + "\n"
        // Fixed columns, then findings. On a narrow terminal the least telling columns
        // go first (the server name, proto, packets, rule, zones, bytes, encryption), so
        // that who must act and what is wrong stay in view; findings that do not fit on
        // the row follow on lines of their own.
        let all: [(name: String, width: Int, right: Bool, dropRank: Int)] = [
            ("id", 5, true, 99), ("proto", 5, false, 2), ("client", 21, false, 99), ("zone", 12, false, 5),
            ("server", 21, false, 99), ("zone", 12, false, 6), ("segment", 8, false, 99),
            ("party", 8, false, 99), ("encryption", 21, false, 8), ("sni", 24, false, 1), ("rule", 12, false, 4),
            ("pkts", 6, true, 3), ("bytes", 9, true, 7), ("findings", 0, false, 99)]
        var keep = Array(repeating: true, count: all.count)
        let findingsRoom = 24
        func fixedWidth() -> Int { all.indices.filter { keep[$0] }.reduce(0) { $0 + (all[$1].width > 0 ? all[$1].width + 1 : 0) } }
        for rank in 1...8 where fixedWidth() + findingsRoom > width {
            if let i = all.firstIndex(where: { $0.dropRank == rank }) { keep[i] = false }
        }
        let room = width - fixedWidth()
        func row(_ vals: [String]) -> (String, overflow: String?) {
            var line = ""
            var overflow: String?
            for (i, c) in all.enumerated() where keep[i] {
                if c.width > 0 {
                    line += Fmt.pad(Fmt.truncate(vals[i], c.width), c.width, right: c.right) + " "
                } else if vals[i].visible().count <= room {
                    line += vals[i].visible()
                } else {
                    overflow = vals[i]
                }
            }
            while line.last == " " { line.removeLast() }
            return (Fmt.truncate(line, width), overflow)
        }
        out += row(all.map(\.name)).0 + "\n"
        output.write(out)
        for r in listed {
            let (line, overflow) = row([String(r.id), r.transport, Fmt.endpoint(r.client), r.client.zone, Fmt.endpoint(r.server), r.server.zone,
                                        r.segment.rawValue, r.responsible.rawValue, Fmt.encryption(r), r.encryption.sni ?? "-",
                                        r.rule.map { Fmt.rule($0, action: false) } ?? "-",
                                        String(r.packets), Fmt.bytes(r.bytes), Fmt.findingCodes(r)])
            var text = line + "\n"
            if let overflow {
                for l in Fmt.wrap(overflow, width: width - 8, indent: 0) { text += "      ↳ " + l + "\n" }
            }
            output.write(paint(String(text.dropLast()), r.worstSeverity) + "\n")
        }
        output.write("\n" + verdict(h, width: width) + "\n")
        output.flush()
    }
}
