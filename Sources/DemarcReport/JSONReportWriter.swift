import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// `json`: one document, streamed. `jsonl`: one `{"type":"flow"}` line per flow and a
/// last `{"type":"summary"}` line. The document streams its flows as they are reported
/// and writes inputs, summary and expectations after them, so memory stays flat however
/// long the capture.
public final class JSONReportWriter: RenderingReportWriter {
    private let output: Output
    private let lines: Bool
    private let flushEachFlow: Bool
    private let w = JSONWriter()
    @exclusivity(unchecked) private var flowsWritten = 0

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
        // The separator or line end goes in with the flow's text: one write per flow.
        w.reset()
        if !lines && flowsWritten > 0 { w.raw(",\n") }
        JSONReportWriter.writeFlow(w, r, typeField: lines)
        if lines { w.raw("\n") }
        output.write(w.bytes)
        flowsWritten += 1
        if flushEachFlow { output.flush() }
    }

    public func releaseText() { output.flush() }

    public func makeRenderer(rules: Summary) -> FlowRenderer {
        let lines = self.lines
        let w = JSONWriter()
        return FlowRenderer(rules: rules, writer: w, before: lines ? "" : ",\n", after: lines ? "\n" : "") { r in
            JSONReportWriter.writeFlow(w, r, typeField: lines)
        }
    }

    public func flows(_ text: UnsafeRawBufferPointer, count: Int, separatorBefore: Int, inPlace: Bool) {
        guard count > 0 else { return }
        // The report's first flow has no separator before it.
        let t = flowsWritten == 0 ? UnsafeRawBufferPointer(rebasing: text.dropFirst(separatorBefore)) : text
        if inPlace { output.writeInPlace(t) } else { output.write(t) }
        flowsWritten += count
        if flushEachFlow { output.flush() }
    }

    public func flow(_ rendered: RenderedFlow, inPlace: Bool) {
        if !lines && flowsWritten > 0 { output.write(",\n") }
        rendered.write(to: output, inPlace: inPlace)
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
        writeInputs(w, h.inputs)
        let s = h.summary
        w.beginObject("summary")
        w.field("flows", s.total.flows)
        w.field("packets", s.total.packets)
        w.field("bytes", s.total.bytes)
        w.field("active_flows_peak", s.peakActiveFlows)
        if s.evicted > 0 { w.field("evicted", s.evicted) }
        if s.fragmentsForgotten > 0 { w.field("fragments_forgotten", s.fragmentsForgotten) }
        if s.handshakesGivenUp > 0 { w.field("handshakes_given_up", s.handshakesGivenUp) }
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
        if h.acceptances != nil {
            w.beginObject("accepted")
            for sev in Severity.allCases.sorted(by: >) { w.key(named: sev.rawValue); w.int(s.accepted[sev] ?? 0) }
            w.endObject()
            w.beginArray("unused_acceptances")
            for a in h.unusedAcceptances {
                w.beginObject()
                w.field("finding", a.finding)
                w.field("owner", a.owner)
                w.field("until", a.until)
                w.field("line", a.line)
                w.endObject()
            }
            w.endArray()
        }
        writeRules(w, s)
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

    /// REPORT.md's `summary.rules` and `summary.unused_rules`, when the scenario has filters.
    static func writeRules(_ w: JSONWriter, _ s: Summary) {
        guard s.hasFilters else { return }
        w.beginArray("rules")
        for u in s.rules {
            w.beginObject()
            w.field("segment", u.segment.rawValue)
            w.field("name", u.name)
            w.field("line", u.line)
            w.field("action", u.action.rawValue)
            w.field("flows", u.flows)
            w.field("bytes", u.bytes)
            w.field("first_seen", u.firstSeen.map(Timestamps.iso8601))
            w.field("last_seen", u.lastSeen.map(Timestamps.iso8601))
            w.beginArray("services")
            for t in u.services() { w.string(t) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.beginArray("unused_rules")
        for u in s.unusedRules {
            w.beginObject()
            w.field("segment", u.segment.rawValue)
            w.field("name", u.name)
            w.field("line", u.line)
            w.endObject()
        }
        w.endArray()
    }

    /// REPORT.md's `inputs[]` (diff reports them the same way).
    static func writeInputs(_ w: JSONWriter, _ inputs: [InputStats]) {
        w.beginArray("inputs")
        for i in inputs {
            w.beginObject()
            w.field("kind", i.kind)
            w.field("name", i.name)
            if let s = i.sensor { w.field("sensor", s) }
            w.field("link_type", i.linkType)
            w.field("packets", i.packets)
            w.field("bytes", i.bytes)
            w.field("undecoded", i.undecoded)
            w.field("non_ip", i.nonIP)
            if i.linkEncrypted > 0 { w.field("link_encrypted", i.linkEncrypted) }
            w.field("truncated", i.truncated)
            if let d = i.dropped { w.field("dropped", d) }
            if let q = i.queueDropped { w.field("queue_dropped", q) }
            if let e = i.error { w.field("error", e) }
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

    /// A flow object. Its shape is fixed, so keys and punctuation are written as
    /// literals around the values (the same text the structured writer would make).
    static func writeFlow(_ w: JSONWriter, _ r: FlowRecord, typeField: Bool) {
        w.raw(typeField ? "{\"type\":\"flow\",\"id\":" : "{\"id\":")
        w.rawFlowID(r.id)
        if let s = r.sensor { w.raw(",\"sensor\":"); w.rawString(s) }
        w.raw(",\"transport\":"); w.rawString(r.transport)
        w.raw(",\"ip_version\":"); w.rawInt(r.ipVersion)
        w.raw(",\"community_id\":"); w.rawCommunityID(r.communityID)
        w.raw(",\"client\":"); writeEndpoint(w, r.client)
        w.raw(",\"server\":"); writeEndpoint(w, r.server)
        w.raw(",\"first_seen\":"); w.rawTimestamp(micros: r.firstSeen)
        w.raw(",\"last_seen\":"); w.rawTimestamp(micros: r.lastSeen)
        if r.finish == .evicted { w.raw(",\"end\":\"evicted\"") }
        w.raw(",\"packets\":{\"to_server\":"); w.rawInt(r.packetsToServer)
        w.raw(",\"to_client\":"); w.rawInt(r.packetsToClient)
        w.raw("},\"bytes\":{\"to_server\":"); w.rawInt(r.bytesToServer)
        w.raw(",\"to_client\":"); w.rawInt(r.bytesToClient)
        w.raw("}")
        if r.fragmentPackets > 0 {
            w.raw(",\"fragments\":{\"packets\":"); w.rawInt(r.fragmentPackets)
            w.raw(",\"bytes\":"); w.rawInt(r.fragmentBytes)
            w.raw("}")
        }
        w.raw(",\"application\":"); w.rawString(r.application)
        let e = r.encryption
        w.raw(",\"encryption\":{\"state\":"); w.raw(e.state.quoted)
        w.raw(",\"protocol\":"); w.rawString(e.protocolName)
        w.raw(",\"version\":"); w.rawString(e.version)
        w.raw(",\"basis\":"); w.raw(e.basis.quoted)
        if let c = e.confidence { w.raw(",\"confidence\":"); w.rawFraction(c) }
        w.raw(",\"sni\":"); w.rawString(e.sni)
        if let c = e.certificate {
            w.raw(",\"certificate\":"); writeCertificate(w, c)
        } else {
            w.raw(",\"certificate\":null")
        }
        if e.upgraded { w.raw(",\"upgraded\":true") }
        if let weak = e.weak { w.raw(",\"weak\":"); w.rawString(weak) }
        if let n = e.negotiated {
            // Optional fields (docs/crypto.md): each only where the handshake showed it.
            if let v = n.keyExchange { w.raw(",\"key_exchange\":"); w.rawString(v) }
            if let v = n.postQuantum { w.raw(v ? ",\"post_quantum\":true" : ",\"post_quantum\":false") }
            if let v = n.cipher { w.raw(",\"cipher\":"); w.rawString(v) }
            if let v = n.mac { w.raw(",\"mac\":"); w.rawString(v) }
            if let v = n.hostKey { w.raw(",\"host_key\":"); w.rawString(v) }
            if let v = n.ja4 { w.raw(",\"ja4\":"); w.rawString(v) }
        }
        w.raw("}")
        if let h = r.http {
            w.raw(",\"http\":{\"host\":"); w.rawString(h.host)
            w.raw(",\"method\":"); w.rawString(h.method)
            w.raw(",\"path\":"); w.rawString(h.path)
            w.raw("}")
        }
        if let b = r.banner { w.raw(",\"banner\":"); w.rawString(b) }
        w.raw(",\"segment\":"); w.raw(r.segment.quoted)
        if let path = r.path {
            w.raw(",\"path\":{\"enters\":"); w.rawString(path.enters)
            w.raw(",\"leaves\":"); w.rawString(path.leaves)
            w.raw("}")
        }
        w.raw(",\"responsible\":"); w.raw(r.responsible.quoted)
        if let rule = r.rule {
            w.raw(",\"rule\":{\"segment\":"); w.raw(rule.segment.quoted)
            w.raw(",\"name\":"); w.rawString(rule.name)
            w.raw(",\"action\":"); w.rawString(rule.action.rawValue)
            if let p = rule.responsible { w.raw(",\"responsible\":"); w.raw(p.quoted) }
            w.raw("}")
        } else {
            w.raw(",\"rule\":null")
        }
        w.raw(",\"findings\":")
        writeFindings(w, r.findings)
        if let credentials = r.credentials {
            w.raw(",\"credentials\":[")
            for (i, cr) in credentials.enumerated() {
                w.raw(i == 0 ? "{\"kind\":" : ",{\"kind\":"); w.rawString(cr.kind.rawValue)
                w.raw(",\"user\":"); w.rawString(cr.user)
                w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}")
    }

    /// The server certificate's object (ocsf's unmapped.demarc has the same).
    /// Findings as a JSON array, each as REPORT.md shapes a flow's (`accepted` where an
    /// `accept` entry covers it).
    static func writeFindings(_ w: JSONWriter, _ findings: [Finding]) {
        w.raw("[")
        for (i, f) in findings.enumerated() {
            w.raw(i == 0 ? "{\"code\":" : ",{\"code\":"); w.rawString(f.code)
            w.raw(",\"severity\":"); w.rawString(f.severity.rawValue)
            w.raw(",\"party\":"); w.rawString(f.party.rawValue)
            w.raw(",\"message\":"); w.rawString(f.message)
            if let a = f.accepted {
                w.raw(",\"accepted\":{\"owner\":"); w.rawString(a.owner)
                w.raw(",\"reason\":"); w.rawString(a.reason)
                w.raw(",\"until\":"); w.rawString(a.until)
                w.raw(a.expired ? ",\"expired\":true}" : ",\"expired\":false}")
            }
            w.raw("}")
        }
        w.raw("]")
    }

    static func writeCertificate(_ w: JSONWriter, _ c: CertificateInfo) {
        w.raw("{\"subject\":"); w.rawString(c.subject)
        w.raw(",\"issuer\":"); w.rawString(c.issuer)
        w.raw(",\"sha256\":"); w.rawString(c.sha256)
        w.raw(",\"not_before\":"); w.rawString(c.notBefore)
        w.raw(",\"not_after\":"); w.rawString(c.notAfter)
        if let k = c.key {
            w.raw(",\"key\":{\"type\":"); w.rawString(k.type)
            if let bits = k.bits { w.raw(",\"bits\":"); w.rawInt(bits) }
            if let curve = k.curve { w.raw(",\"curve\":"); w.rawString(curve) }
            w.raw("}")
        }
        if let sig = c.signature { w.raw(",\"signature\":"); w.rawString(sig) }
        w.raw("}")
    }

    private static func writeEndpoint(_ w: JSONWriter, _ e: FlowRecord.Endpoint) {
        w.raw("{\"ip\":"); w.rawAddress(e.address)
        if let port = e.port { w.raw(",\"port\":"); w.rawInt(UInt64(port)) } else { w.raw(",\"port\":null") }
        w.raw(",\"zone\":"); w.rawString(e.zone)
        if let node = e.node { w.raw(",\"node\":"); w.rawString(node); w.raw("}") } else { w.raw(",\"node\":null}") }
    }
}

// Names every flow line writes, as quoted JSON text known at compile time: copied, not
// scanned for escapes (the same text as their names).
extension Segment {
    var quoted: StaticString {
        switch self {
        case .internal: return "\"internal\""
        case .egress: return "\"egress\""
        case .ingress: return "\"ingress\""
        case .transit: return "\"transit\""
        case .external: return "\"external\""
        case .link: return "\"link\""
        }
    }
}

extension Party {
    var quoted: StaticString {
        switch self {
        case .provider: return "\"provider\""
        case .customer: return "\"customer\""
        case .shared: return "\"shared\""
        }
    }
}

extension EncryptionState {
    var quoted: StaticString {
        switch self {
        case .unknown: return "\"unknown\""
        case .encrypted: return "\"encrypted\""
        case .cleartext: return "\"cleartext\""
        }
    }
}

extension VerdictBasis {
    var quoted: StaticString {
        switch self {
        case .none: return "\"none\""
        case .protocol: return "\"protocol\""
        case .heuristic: return "\"heuristic\""
        }
    }
}
