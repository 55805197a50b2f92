import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// Small text helpers shared by the human-readable formats.
package enum Fmt {
    package static func bytes(_ n: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n)
        var u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(n) B" : String(format1(v)) + " " + units[u]
    }

    static func format1(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// A matched rule: its name, its action (`deny` only, unless `action` says always),
    /// and the party it makes responsible where it names one.
    package static func rule(_ m: RuleMatch, action always: Bool) -> String {
        let notes = [always || m.action == .deny ? m.action.rawValue : nil, m.responsible.map { "responsible: \($0.rawValue)" }]
            .compactMap { $0 }
        return notes.isEmpty ? m.name : "\(m.name) (\(notes.joined(separator: ", ")))"
    }

    /// A flow's segment, with a transit flow's path: `transit (edge-1 → gw-1)`.
    package static func segment(_ r: FlowRecord) -> String {
        r.path.map { "\(r.segment.rawValue) (\($0.enters) → \($0.leaves))" } ?? r.segment.rawValue
    }

    /// Transit flows by path, most bytes first: `edge-1 → gw-1: N flows, P packets, BYTES`.
    static func transitPaths(_ s: Summary) -> [String] {
        s.transitPaths.sorted { ($0.value.bytes, $1.key.enters, $1.key.leaves) > ($1.value.bytes, $0.key.enters, $0.key.leaves) }
            .map { "\($0.key.enters) → \($0.key.leaves): \($0.value.flows) flows, \($0.value.packets) packets, \(bytes($0.value.bytes))" }
    }

    package static func endpoint(_ e: FlowRecord.Endpoint) -> String {
        let ip = e.ip.contains(":") ? "[\(e.ip)]" : e.ip
        return e.port.map { "\(ip):\($0)" } ?? ip
    }

    package static func encryption(_ r: FlowRecord) -> String {
        var s = r.encryption.state.name
        if let p = r.encryption.protocolName {
            s += " (" + p + (r.encryption.version.map { " " + versionSuffix($0, p) } ?? "") + ")"
        }
        return s
    }

    private static func versionSuffix(_ v: String, _ p: String) -> String {
        v.lowercased().hasPrefix(p.lowercased()) ? String(v.dropFirst(p.count)).trimmingLeadingSpace : v
    }

    /// The flow's finding codes; an accepted one says so (`code (accepted)`, or
    /// `code (acceptance expired)` past its end date).
    package static func findingCodes(_ r: FlowRecord) -> String {
        r.findings.map { f in
            guard let a = f.accepted else { return f.code }
            return f.code + (a.expired ? " (acceptance expired)" : " (accepted)")
        }.joined(separator: ", ")
    }

    /// The accepted findings, grouped by code and entry: `code ×n — accepted by OWNER
    /// until DATE: REASON`; then the entries nothing used, by line.
    static func acceptanceLines(_ acceptedByEntry: [Int: Int], _ h: ReportHeader) -> [String] {
        guard let list = h.acceptances else { return [] }
        var lines = acceptedByEntry.keys.sorted().map { i in
            let a = list[i]
            return "\(a.finding) ×\(acceptedByEntry[i]!) — accepted by \(a.owner) until \(a.until): \(a.reason)"
        }
        for a in h.unusedAcceptances {
            lines.append("unused: \(a.finding) accepted by \(a.owner) until \(a.until) (line \(a.line)) matched no finding")
        }
        return lines
    }

    /// The rules section's lines: used rules with flows, bytes and services; rules that
    /// matched nothing, with their lines; allow rules to narrow to the one service seen.
    static func ruleLines(_ s: Summary) -> [String] {
        var lines: [String] = []
        for u in s.rules where u.flows > 0 {
            let services = u.services().joined(separator: ", ")
            lines.append("\(u.segment.rawValue) \(u.name) (line \(u.line), \(u.action.rawValue)): \(u.flows) flow\(u.flows == 1 ? "" : "s"), "
                         + Fmt.bytes(u.bytes) + (services.isEmpty ? "" : "; \(services)"))
        }
        for u in s.unusedRules {
            lines.append("unused: \(u.segment.rawValue) \(u.name) (line \(u.line)) matched no flow")
        }
        for u in s.rules {
            if let only = u.narrowingCandidate {
                lines.append("narrow: \(u.segment.rawValue) \(u.name) (line \(u.line)) admits several services; every flow used \(only)")
            }
        }
        return lines
    }

    /// What a format says when it lists only the top flows.
    static func topNote(_ d: ReportDigest, shown: Int) -> String {
        "the \(shown) flows with the most bytes, of \(d.flowCount); --all-flows lists every flow"
    }

    static func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
        let n = s.count
        if n >= w { return s }
        let fill = String(repeating: " ", count: w - n)
        return right ? fill + s : s + fill
    }

    /// The text cut to `w` characters, its control characters escaped first (a cell or
    /// message can quote the wire).
    /// The text in lines of at most `width` characters, broken at spaces where it can be;
    /// lines after the first start with `indent` spaces. Control characters escaped.
    static func wrap(_ s: String, width: Int, indent: Int) -> [String] {
        let w = max(width, 16)
        var lines: [String] = []
        var rest = Substring(s.visible())
        var prefix = ""
        while prefix.count + rest.count > w {
            let room = w - prefix.count
            let cut = rest.prefix(room + 1).lastIndex(of: " ").flatMap { $0 > rest.startIndex ? $0 : nil }
                ?? rest.index(rest.startIndex, offsetBy: room)
            lines.append(prefix + rest[..<cut])
            rest = rest[cut...].drop { $0 == " " }
            prefix = String(repeating: " ", count: indent)
        }
        lines.append(prefix + rest)
        return lines
    }

    /// Pass or fail, and why, as every human format states it: failed expectations, and
    /// counted findings at or above `--fail-on` (when given); then the counts by severity.
    package static func verdict(_ h: ReportHeader, failOn: Severity?) -> (passed: Bool, detail: String) {
        let sevs = Severity.allCases.sorted(by: >)
        let counts = sevs.map { "\(h.summary.findings[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        var why: [String] = []
        let failed = h.expectations.filter { !$0.passed }.count
        if failed > 0 { why.append("\(failed) of \(h.expectations.count) expectations failed") }
        if let f = failOn {
            let n = h.summary.findings.filter { $0.key >= f }.reduce(0) { $0 + Int($1.value) }
            if n > 0 { why.append("\(n) findings at \(f.rawValue) or above (--fail-on \(f.rawValue))") }
        }
        let passed = why.isEmpty
        return (passed, "findings: \(counts)" + (why.isEmpty ? "" : "; " + why.joined(separator: "; ")))
    }

    static func truncate(_ s: String, _ w: Int) -> String {
        guard w > 0 else { return "" }
        let s = s.visible()
        if s.count <= w { return s }
        return String(s.prefix(max(0, w - 1))) + "…"
    }
}

extension String {
    var trimmingLeadingSpace: String { String(drop(while: { $0 == " " })) }
}

/// Orders flows for people: most severe finding first, then most bytes, then id.
func humanOrder(_ a: FlowRecord, _ b: FlowRecord) -> Bool {
    let sa = a.worstSeverity?.rank ?? -1, sb = b.worstSeverity?.rank ?? -1
    if sa != sb { return sa > sb }
    if a.bytes != b.bytes { return a.bytes > b.bytes }
    return a.id < b.id
}
