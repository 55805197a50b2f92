/// `json`: one document, streamed. `jsonl`: one `{"type":"flow"}` line per flow and a
/// last `{"type":"summary"}` line. The document streams its flows as they are reported
/// and writes inputs, summary and expectations after them, so memory stays flat however
/// long the capture.
public final class JSONReportWriter: ReportWriter {
    private let output: Output
    private let lines: Bool
    private let flushEachFlow: Bool
    private let w = JSONWriter()
    private var flowsWritten = 0

    public init(output: Output, lines: Bool, flushEachFlow: Bool = false) {
        self.output = output
        self.lines = lines
        self.flushEachFlow = flushEachFlow
    }

    public func begin(_ header: ReportHeader) {
        guard !lines else { return }
        w.reset()
        w.beginObject()
        JSONReportWriter.writeTool(w, header)
        w.beginArray("flows")
        output.write(w.bytes)
        output.write("\n")
    }

    public func flow(_ r: FlowRecord) {
        w.reset()
        JSONReportWriter.writeFlow(w, r, typeField: lines)
        if !lines && flowsWritten > 0 { output.write(",\n") }
        output.write(w.bytes)
        if lines { output.write("\n") }
        flowsWritten += 1
        if flushEachFlow { output.flush() }
    }

    public func finish(_ header: ReportHeader) {
        w.reset()
        if lines {
            w.beginObject()
            w.field("type", "summary")
            JSONReportWriter.writeTool(w, header)
            JSONReportWriter.writeTail(w, header)
            w.endObject()
            output.write(w.bytes)
            output.write("\n")
        } else {
            if flowsWritten > 0 { output.write("\n") }
            output.write("],")
            // Continue the open document: a fresh writer for the remaining members.
            w.beginObject()
            JSONReportWriter.writeTail(w, header)
            w.endObject()
            // Drop the braces of the helper object: its members join the document.
            output.write(UnsafeRawBufferPointer(rebasing: w.bytes.dropFirst().dropLast()))
            output.write("}\n")
        }
        output.flush()
    }

    static func writeTool(_ w: JSONWriter, _ h: ReportHeader) {
        w.beginObject("tool")
        w.field("name", h.toolName)
        w.field("version", h.toolVersion)
        w.endObject()
        w.beginObject("scenario")
        w.field("name", h.scenarioName)
        w.field("source", h.scenarioSource)
        w.endObject()
    }

    static func writeTail(_ w: JSONWriter, _ h: ReportHeader) {
        w.beginArray("inputs")
        for i in h.inputs {
            w.beginObject()
            w.field("kind", i.kind)
            w.field("name", i.name)
            w.field("link_type", i.linkType)
            w.field("packets", i.packets)
            w.field("bytes", i.bytes)
            w.field("undecoded", i.undecoded)
            w.field("non_ip", i.nonIP)
            w.field("truncated", i.truncated)
            if let d = i.dropped { w.field("dropped", d) }
            if let q = i.queueDropped { w.field("queue_dropped", q) }
            if let e = i.error { w.field("error", e) }
            w.endObject()
        }
        w.endArray()
        let s = h.summary
        w.beginObject("summary")
        w.field("flows", s.total.flows)
        w.field("packets", s.total.packets)
        w.field("bytes", s.total.bytes)
        w.field("active_flows_peak", s.peakActiveFlows)
        w.beginObject("segments")
        for seg in Segment.allCases { writeCounts(w, seg.rawValue, s.counts(seg)) }
        w.endObject()
        w.beginObject("parties")
        for p in Party.allCases { writeCounts(w, p.rawValue, s.counts(p)) }
        w.endObject()
        w.beginObject("findings")
        for sev in Severity.allCases.sorted(by: >) { w.key(named: sev.rawValue); w.int(s.findings[sev] ?? 0) }
        w.endObject()
        w.beginObject("finding_codes")
        for (code, n) in s.findingCodes.sorted(by: { $0.key < $1.key }) { w.key(named: code); w.int(n) }
        w.endObject()
        w.endObject()
        w.beginArray("expectations")
        for e in h.expectations {
            w.beginObject()
            w.field("expect", e.expectation.text)
            w.field("passed", e.passed)
            w.field("detail", e.detail)
            w.endObject()
        }
        w.endArray()
    }

    private static func writeCounts(_ w: JSONWriter, _ name: String, _ c: Counts) {
        w.key(named: name)
        w.beginObject()
        w.field("flows", c.flows)
        w.field("packets", c.packets)
        w.field("bytes", c.bytes)
        w.endObject()
    }

    static func writeFlow(_ w: JSONWriter, _ r: FlowRecord, typeField: Bool) {
        w.beginObject()
        if typeField { w.field("type", "flow") }
        w.field("id", r.id)
        w.field("transport", r.transport)
        w.field("ip_version", r.ipVersion)
        writeEndpoint(w, "client", r.client)
        writeEndpoint(w, "server", r.server)
        w.timestamp("first_seen", micros: r.firstSeen)
        w.timestamp("last_seen", micros: r.lastSeen)
        w.beginObject("packets")
        w.field("to_server", r.packetsToServer)
        w.field("to_client", r.packetsToClient)
        w.endObject()
        w.beginObject("bytes")
        w.field("to_server", r.bytesToServer)
        w.field("to_client", r.bytesToClient)
        w.endObject()
        if r.fragmentPackets > 0 {
            w.beginObject("fragments")
            w.field("packets", r.fragmentPackets)
            w.field("bytes", r.fragmentBytes)
            w.endObject()
        }
        w.field("application", r.application)
        let e = r.encryption
        w.beginObject("encryption")
        w.field("state", e.state.name)
        w.field("protocol", e.protocolName)
        w.field("version", e.version)
        w.field("basis", e.basis.name)
        w.field("sni", e.sni)
        if let c = e.certificate {
            w.beginObject("certificate")
            w.field("subject", c.subject)
            w.field("issuer", c.issuer)
            w.field("sha256", c.sha256)
            w.field("not_before", c.notBefore)
            w.field("not_after", c.notAfter)
            w.endObject()
        } else {
            w.key("certificate"); w.null()
        }
        if e.upgraded { w.field("upgraded", true) }
        if let weak = e.weak { w.field("weak", weak) }
        w.endObject()
        if let h = r.http {
            w.beginObject("http")
            w.field("host", h.host)
            w.field("method", h.method)
            w.field("path", h.path)
            w.endObject()
        }
        if let b = r.banner { w.field("banner", b) }
        w.field("segment", r.segment.rawValue)
        w.field("responsible", r.responsible.rawValue)
        if let rule = r.rule {
            w.beginObject("rule")
            w.field("segment", rule.segment.rawValue)
            w.field("name", rule.name)
            w.field("action", rule.action.rawValue)
            w.endObject()
        } else {
            w.key("rule"); w.null()
        }
        w.beginArray("findings")
        for f in r.findings {
            w.beginObject()
            w.field("code", f.code)
            w.field("severity", f.severity.rawValue)
            w.field("party", f.party.rawValue)
            w.field("message", f.message)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    private static func writeEndpoint(_ w: JSONWriter, _ name: StaticString, _ e: FlowRecord.Endpoint) {
        w.beginObject(name)
        w.field("ip", e.ip)
        w.field("port", e.port)
        w.field("zone", e.zone)
        w.field("node", e.node)
        w.endObject()
    }
}
