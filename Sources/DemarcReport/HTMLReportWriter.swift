import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `html`: one self-contained page (no request leaves it): summary cards per party, a
/// chart of bytes and flows by segment and party, the findings, and a flow table that
/// sorts and filters in the browser. Past `--rows` flows the page stays small: flows with
/// findings are still listed one by one, the clean ones are summed by zone pair and
/// service.
public final class HTMLReportWriter: ReportWriter {
    private let output: Output
    private var digest: ReportDigest
    private let failOn: Severity?
    private var crypto = CryptoSummary()

    public init(output: Output, options: ReportOptions = ReportOptions()) {
        self.output = output
        self.digest = ReportDigest(rowLimit: options.rowLimit, aggregates: true)
        self.failOn = options.failOn
    }

    public func begin(_ header: ReportHeader) {}
    public func flow(_ record: FlowRecord) {
        digest.add(record, row: HTMLReportWriter.row)
        crypto.add(record)
    }

    static func row(_ r: FlowRecord) -> String {
        let cells = [Fmt.endpoint(r.client) + " (" + r.client.zone + ")", Fmt.endpoint(r.server) + " (" + r.server.zone + ")"]
        return "<tr id=\"flow-\(r.id)\"><td class=\"n\">\(r.id)</td><td>\(r.transport)</td><td>\(esc(cells[0]))</td><td>\(esc(cells[1]))</td><td>\(esc(Fmt.segment(r)))</td><td>\(r.responsible.rawValue)</td><td>\(esc(Fmt.encryption(r)))</td><td>\(esc(r.encryption.sni ?? ""))</td><td>\(esc(r.application ?? ""))</td><td class=\"n\">\(r.packets)</td><td class=\"n\" data-v=\"\(r.bytes)\">\(Fmt.bytes(r.bytes))</td><td>\(esc(r.rule.map { Fmt.rule($0, action: true) } ?? ""))</td><td>\(esc(Fmt.findingCodes(r)))</td></tr>\n"
    }

    /// Text in the page: control characters escaped (as in every human format), then
    /// HTML's special characters.
    package static func esc(_ s: String) -> String {
        Escaping.replacing(s.visible()) { c in
            switch c {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&#39;"
            default: return nil
            }
        }
    }

    public func finish(_ h: ReportHeader) {
        let s = h.summary
        var o = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>demarc report: \(HTMLReportWriter.esc(h.scenarioName))</title>
        <style>
        \(HTMLReportWriter.style)
        </style></head><body>
        <h1>demarc report: \(HTMLReportWriter.esc(h.scenarioName))</h1>
        \(HTMLReportWriter.verdictBanner(h, failOn: failOn))
        <div class="meta">Scenario <code>\(HTMLReportWriter.esc(h.scenarioSource))</code> · demarc \(h.toolVersion) ·
        \(s.total.flows) flows, \(s.total.packets) packets, \(Fmt.bytes(s.total.bytes))</div>
        <div class="meta">
        """
        for i in h.inputs {
            o += "Input <code>\(HTMLReportWriter.esc(i.name))</code> (\(HTMLReportWriter.esc(i.linkType))): \(i.packets) packets"
            if i.undecoded > 0 { o += ", \(i.undecoded) undecoded" }
            if i.linkEncrypted > 0 { o += ", \(i.linkEncrypted) encrypted at the link layer" }
            if let d = i.dropped { o += ", \(d) dropped by the kernel" }
            if let q = i.queueDropped, q > 0 { o += ", \(q) dropped by demarc" }
            if i.truncated { o += ", truncated" }
            o += "<br>\n"
        }
        o += "</div>\n<h2>Parties</h2>\n<div class=\"cards\" id=\"parties\">\n"
        o += HTMLReportWriter.partyCards(s)
        o += "</div>\n<h2>The boundary</h2>\n<p class=\"meta\">What the provider operates is inside its boundary (dashed); each line is the flows of one service between two places, coloured by their worst finding (green: none).</p>\n"
        o += BoundaryPicture(digest: digest, map: h.places).svg(escape: HTMLReportWriter.esc)
        o += "<h2>Bytes and flows by segment and party</h2>\n" + chart(s) + "\n"
        let paths = Fmt.transitPaths(s)
        if !paths.isEmpty {
            o += "<p>Transit, by the nodes it enters and leaves at:</p>\n<ul class=\"paths\">\n"
                + paths.map { "<li>\(HTMLReportWriter.esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        o += "<h2>Findings</h2>\n"
        if digest.findingCount == 0 {
            o += "<p>No findings.</p>\n"
        } else {
            // By code, as the table groups them: every flow when the report lists every
            // flow with a finding one by one, else the first few of each code. Each flow
            // id links to its row in the flow table.
            var groups: [ReportDigest.GroupKey: [(id: UInt64, message: String)]] = [:]
            if let list = digest.findingList {
                for (id, f) in list {
                    let key = ReportDigest.GroupKey(severity: f.severity, party: f.party, code: f.code)
                    groups[key, default: []].append((id, f.message + (f.acceptanceNote.map { " (\($0))" } ?? "")))
                }
            } else {
                o += "<p>\(digest.findingCount) findings, by code (the first \(ReportDigest.examples) flows of each; every flow with a finding is in the flow table below).</p>\n"
                for (key, g) in digest.groups { groups[key] = g.examples.map { ($0.id, $0.message) } }
            }
            o += "<ul class=\"findings\">\n"
            for key in groups.keys.sorted() {
                let flows = groups[key]!.sorted { $0.id < $1.id }
                let count = digest.findingList != nil ? flows.count : digest.groups[key]?.count ?? flows.count
                o += "<li><span class=\"sev \(key.severity.rawValue)\">\(key.severity.rawValue)</span><b>\(key.code)</b> (\(key.party.rawValue)) ×\(count)<ul>"
                for e in flows { o += "<li><a href=\"#flow-\(e.id)\">flow \(e.id)</a>: \(HTMLReportWriter.esc(e.message))</li>" }
                o += "</ul></li>\n"
            }
            o += "</ul>\n"
        }
        if h.acceptances != nil {
            let accepted = Fmt.acceptanceLines(digest.acceptedByEntry, h)
            o += "<h2>Accepted risks</h2>\n" + (accepted.isEmpty ? "<p>None.</p>\n"
                : "<ul>\n" + accepted.map { "<li>\(HTMLReportWriter.esc($0))</li>\n" }.joined() + "</ul>\n")
        }
        if h.summary.hasFilters {
            o += "<h2>Rules</h2><ul>\n" + Fmt.ruleLines(h.summary).map { "<li>\(HTMLReportWriter.esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        if !h.expectations.isEmpty {
            o += "<h2>Expectations</h2><ul>\n"
            for e in h.expectations {
                o += "<li>\(e.passed ? "pass" : "<b>FAIL</b>"): \(HTMLReportWriter.esc(e.expectation.text)) — \(HTMLReportWriter.esc(e.detail))</li>\n"
            }
            o += "</ul>\n"
        }
        o += crypto.html(HTMLReportWriter.esc)
        let complete = digest.rows != nil
        o += """
        <h2>Flows</h2>
        \(complete ? "" : "<p class=\"meta\">\(digest.flowCount) flows: the \(digest.flagged.count) with findings are listed one by one; the other \(digest.flowCount - digest.flagged.count) are summed by zone pair and service below the table. --all-flows lists every flow.</p>")<input id="filter" placeholder="Filter flows (address, zone, protocol, finding…)"> <span id="shown" class="meta">\(complete ? digest.flowCount : digest.flagged.count) flows</span>
        <table id="flows"><thead><tr><th data-k="id">id</th><th data-k="transport">transport</th><th data-k="client">client</th>
        <th data-k="server">server</th><th data-k="segment">segment</th><th data-k="party">party</th>
        <th data-k="enc">encryption</th><th data-k="sni">server name</th><th data-k="app">application</th><th data-k="packets">packets</th>
        <th data-k="bytes">bytes</th><th data-k="rule">rule</th><th data-k="findings">findings</th></tr></thead><tbody>

        """
        output.write(o)
        if let rows = digest.rows {
            for r in rows.sorted(by: humanOrder) { output.write(HTMLReportWriter.row(r)) }
        } else {
            for f in digest.flagged.sorted(by: { ($0.rank, $0.bytes, $1.id) > ($1.rank, $1.bytes, $0.id) }) { output.write(f.row) }
        }
        output.write("</tbody></table>\n")
        if !complete { output.write(serviceTable()) }
        output.write("""
        <script>
        (function(){
          var t=document.getElementById('flows'),tb=t.tBodies[0],f=document.getElementById('filter'),shown=document.getElementById('shown');
          function apply(){var q=f.value.toLowerCase(),n=0;
            for(var i=0;i<tb.rows.length;i++){var r=tb.rows[i],hit=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=hit?'':'none';if(hit)n++;}
            shown.textContent=n+' of '+tb.rows.length+' flows shown';
            if(history.replaceState)history.replaceState(null,'',q?'#q='+encodeURIComponent(f.value):location.pathname);}
          f.addEventListener('input',apply);
          // A filter in the address (#q=…) is applied on load, so a filtered view can be shared.
          var m=/^#q=(.*)$/.exec(location.hash);if(m)f.value=decodeURIComponent(m[1]);
          apply();
          var ths=t.tHead.rows[0].cells;
          for(var c=0;c<ths.length;c++)(function(c){var asc=true;ths[c].addEventListener('click',function(){
            var rows=Array.prototype.slice.call(tb.rows);
            rows.sort(function(a,b){var x=a.cells[c],y=b.cells[c];
              var xv=x.dataset.v||x.textContent,yv=y.dataset.v||y.textContent;
              var xn=parseFloat(xv),yn=parseFloat(yv);
              var r=(!isNaN(xn)&&!isNaN(yn)&&/^[0-9.]+$/.test(xv)&&/^[0-9.]+$/.test(yv))?xn-yn:xv.localeCompare(yv);
              return asc?r:-r;});
            asc=!asc;rows.forEach(function(r){tb.appendChild(r);});});})(c);
        })();
        </script>
        </body></html>

        """)
        output.flush()
    }

    /// Pass or fail at the top of the page, and why (the report's top; the live view's too).
    package static func verdictBanner(_ h: ReportHeader, failOn: Severity?) -> String {
        let v = Fmt.verdict(h, failOn: failOn)
        return "<div class=\"verdict \(v.passed ? "pass" : "fail")\" id=\"verdict\"><b>\(v.passed ? "Pass" : "Fail")</b> — \(HTMLReportWriter.esc(v.detail))</div>"
    }

    /// One card per party: flows, packets, bytes and counted findings by severity.
    package static func partyCards(_ s: Summary) -> String {
        let sevs = Severity.allCases.sorted(by: >)
        var o = ""
        for p in Party.allCases {
            let c = s.counts(p)
            let pf = s.partyFindings[p] ?? [:]
            o += "<div class=\"card\" data-party=\"\(p.rawValue)\"><h3>\(p.rawValue)</h3><div class=\"num\">\(c.flows) flows</div>"
            o += "<div>\(c.packets) packets · \(Fmt.bytes(c.bytes))</div><div>"
            for sev in sevs where (pf[sev] ?? 0) > 0 { o += "<span class=\"sev \(sev.rawValue)\">\(pf[sev]!) \(sev.rawValue)</span>" }
            if pf.isEmpty { o += "no findings" }
            o += "</div></div>\n"
        }
        return o
    }

    /// The page's style sheet (the live view links it as a file of its own).
    package static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d232a;background:#f7f8fa}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
        .meta{color:#5b6570}.cards{display:flex;gap:12px;flex-wrap:wrap}
        .card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px 16px;min-width:190px}
        .card h3{margin:0 0 6px;font-size:15px;text-transform:capitalize}.num{font-size:20px;font-weight:600}
        .sev{display:inline-block;padding:1px 6px;border-radius:4px;font-size:12px;margin-right:4px;color:#fff}
        .critical{background:#9b1c1c}.high{background:#d9480f}.medium{background:#c28a00}.low{background:#1971c2}.info{background:#868e96}
        table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
        th,td{border-bottom:1px solid #e6e8eb;padding:5px 8px;text-align:left;vertical-align:top}
        th{cursor:pointer;background:#eef1f4;position:sticky;top:0;user-select:none}
        td.n{text-align:right;font-variant-numeric:tabular-nums}
        .bar{fill:#4c6ef5}.bar2{fill:#94d82d}svg text{font-size:12px;fill:#333}
        input#filter{padding:6px 8px;width:320px;margin-bottom:8px;border:1px solid #ccd;border-radius:6px}
        ul.findings{padding-left:18px}ul.findings a{color:inherit}tr:target{background:#fff3bf}
        .verdict{margin:12px 0;padding:10px 14px;border-radius:8px;font-size:15px;color:#fff}.verdict.pass{background:#2b8a3e}.verdict.fail{background:#c92a2a}
        ol.edges{columns:2;font-size:13px}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
        svg#boundary text{font-size:13px;fill:#1d232a}
        """

    /// The clean flows summed by zone pair and service, most bytes first.
    private func serviceTable() -> String {
        var o = "<h2>Flows without findings, by zone pair and service</h2>\n<table id=\"services\"><thead><tr><th>client zone</th><th>server zone</th>"
            + "<th>transport</th><th>service</th><th>encryption</th><th>flows</th><th>packets</th><th>bytes</th></tr></thead><tbody>\n"
        let rows = digest.services.sorted { a, b in
            a.value.bytes != b.value.bytes ? a.value.bytes > b.value.bytes
                : (a.key.clientZone, a.key.serverZone, a.key.transport, a.key.service, a.key.encryption)
                    < (b.key.clientZone, b.key.serverZone, b.key.transport, b.key.service, b.key.encryption)
        }
        for (k, t) in rows {
            o += "<tr><td>\(HTMLReportWriter.esc(k.clientZone))</td><td>\(HTMLReportWriter.esc(k.serverZone))</td><td>\(k.transport)</td>"
                + "<td>\(HTMLReportWriter.esc(k.service))</td><td>\(k.encryption)</td><td class=\"n\">\(t.flows)</td>"
                + "<td class=\"n\">\(t.packets)</td><td class=\"n\" data-v=\"\(t.bytes)\">\(Fmt.bytes(t.bytes))</td></tr>\n"
        }
        return o + "</tbody></table>\n"
    }

    private func chart(_ s: Summary) -> String {
        var rows: [(String, UInt64, UInt64)] = []
        for seg in Segment.allCases { let c = s.counts(seg); rows.append(("segment " + seg.rawValue, c.bytes, c.flows)) }
        for p in Party.allCases { let c = s.counts(p); rows.append(("party " + p.rawValue, c.bytes, c.flows)) }
        let maxB = max(1, rows.map(\.1).max() ?? 1), maxF = max(1, rows.map(\.2).max() ?? 1)
        // Two bar columns, each with room right of its longest bar for the value's label.
        var svg = "<svg id=\"chart\" width=\"820\" height=\"\(rows.count * 26 + 30)\" role=\"img\" aria-label=\"bytes and flows by segment and party\">"
        svg += "<text x=\"150\" y=\"14\">bytes</text><text x=\"520\" y=\"14\">flows</text>"
        for (i, r) in rows.enumerated() {
            let y = 22 + i * 26
            let wb = Int(Double(r.1) / Double(maxB) * 280), wf = Int(Double(r.2) / Double(maxF) * 220)
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(r.0)</text>"
            svg += "<rect class=\"bar\" x=\"150\" y=\"\(y)\" width=\"\(wb)\" height=\"18\"><title>\(r.1) bytes</title></rect><text x=\"\(154 + wb)\" y=\"\(y + 14)\">\(Fmt.bytes(r.1))</text>"
            svg += "<rect class=\"bar2\" x=\"520\" y=\"\(y)\" width=\"\(wf)\" height=\"18\"><title>\(r.2) flows</title></rect><text x=\"\(524 + wf)\" y=\"\(y + 14)\">\(r.2)</text>"
        }
        return svg + "</svg>"
    }
}
