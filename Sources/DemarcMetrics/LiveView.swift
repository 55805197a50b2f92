import Synchronization
import DemarcCore
#if canImport(Glibc)
import Glibc
#endif

/// What the live view (`monitor --serve`) shows, kept as the run goes: the latest flows
/// (a ring of `rows`), the totals the report's top is made of (summary, boundary
/// edges), findings by code with their latest flows, and the open flows already known
/// to be cleartext where encryption is required. Everything is bounded, whatever the
/// run's length: the ring, a few entries per finding code, at most `openLimit` open flows.
///
/// The pipeline calls it as a `LiveObserver` (from the analysing threads); each call
/// takes a short lock and copies a record, nothing more. Rendering happens on the
/// server's own thread (`render`), so the capture never waits for a browser.
public final class LiveView: LiveObserver, @unchecked Sendable {
    /// Flows kept for the table (`--serve-rows`).
    public let rows: Int
    /// Open flows shown at most, and published per analysing thread each second at most.
    static let openLimit = 1_000
    /// Latest flows kept per finding code.
    static let findingExamples = 20
    /// Finding codes kept (by severity, party and code, a bounded set from the classifier).
    static let findingGroupLimit = 500

    let scenario: Scenario
    let places: PlaceMap
    let failOn: Severity?

    struct FindingKey: Hashable {
        var severity: Severity
        var party: Party
        var code: String
    }

    struct FindingEntry {
        var flow: UInt64
        var message: String
        var accepted: String?
        var zones: [String]
    }

    struct FindingGroup {
        var key: FindingKey
        var count = 0
        var accepted = 0
        var latest: [FindingEntry] = []   // newest first
        var lastSeq: UInt64 = 0
    }

    struct Shared {
        var summary: Summary
        var boundary = BoundaryTotals()
        /// Flows ended so far: the last one's sequence number.
        var ended: UInt64 = 0
        /// The latest ended flows not yet rendered (the last `rows` of them are).
        var pending: [FlowRecord] = []
        var findings: [FindingKey: FindingGroup] = [:]
        var findingSeq: UInt64 = 0
        /// Open flows cleartext where encryption is required, by their 5-tuple and start.
        var open: [String: (record: FlowRecord, seen: Int64)] = [:]
        /// Open flows published by each analysing thread in the current second.
        var budget: [UInt: (second: Int64, used: Int)] = [:]
        var packets: UInt64 = 0
        var openFlows = 0
        var kernelDropped: UInt64 = 0
        var queueDropped: UInt64 = 0
        var packetsPerSecond: Double = 0
        var lastCapture: (packets: UInt64, micros: Int64)?
        /// Bumped by every change; the renderer skips a tick when it has not moved.
        var version: UInt64 = 0
        var boundaryVersion: UInt64 = 0
    }

    let shared: Mutex<Shared>

    public init(scenario: Scenario, rows: Int = 500, failOn: Severity?) {
        self.scenario = scenario
        self.places = PlaceMap(scenario: scenario)
        self.failOn = failOn
        self.rows = max(1, rows)
        shared = Mutex(Shared(summary: Summary(filters: scenario.filters)))
    }

    /// An open flow's identity across its records: transport, ends and first packet.
    static func openKey(_ r: FlowRecord) -> String {
        "\(r.transport) \(Fmt.endpoint(r.client)) \(Fmt.endpoint(r.server)) \(r.firstSeen)"
    }

    /// Cleartext where the scenario requires encryption: the classifier said so with an
    /// `unencrypted-*` finding that counts.
    static func cleartextWhereRequired(_ r: FlowRecord) -> Bool {
        r.encryption.state == .cleartext && r.findings.contains { $0.counts && Classifier.unencryptedCodes.contains($0.code) }
    }

    public func flowEnded(_ r: FlowRecord) {
        let key = LiveView.cleartextWhereRequired(r) ? LiveView.openKey(r) : nil
        shared.withLock { s in
            s.ended += 1
            s.version += 1
            s.boundaryVersion += 1
            s.summary.add(r)
            s.boundary.add(r)
            if let key { s.open.removeValue(forKey: key) }
            // Past twice the table's length, the older half goes (amortised O(1) a flow).
            if s.pending.count >= 2 * rows { s.pending.removeFirst(rows) }
            s.pending.append(r)
            for f in r.findings {
                let gk = FindingKey(severity: f.severity, party: f.party, code: f.code)
                if s.findings[gk] == nil && s.findings.count >= LiveView.findingGroupLimit { continue }
                s.findingSeq += 1
                var g = s.findings[gk] ?? FindingGroup(key: gk)
                g.count += 1
                if !f.counts { g.accepted += 1 }
                g.lastSeq = s.findingSeq
                if g.latest.count >= LiveView.findingExamples { g.latest.removeLast() }
                g.latest.insert(FindingEntry(flow: r.id, message: f.message, accepted: f.counts ? nil : f.acceptanceNote,
                                             zones: LiveView.zones(r)), at: 0)
                s.findings[gk] = g
            }
        }
    }

    public func flowGrew(_ r: FlowRecord, packets: UInt64, bytes: UInt64) {
        guard LiveView.cleartextWhereRequired(r) else { return }
        let thread = UInt(bitPattern: Int(bitPattern: pthread_self()))
        let second = Timestamps.nowMicros() / 1_000_000
        let key = LiveView.openKey(r)
        shared.withLock { s in
            var b = s.budget[thread] ?? (second, 0)
            if b.second != second { b = (second, 0) }
            guard b.used < LiveView.openLimit else { return }
            b.used += 1
            s.budget[thread] = b
            if s.open[key] == nil && s.open.count >= LiveView.openLimit {
                // Full: the flow seen longest ago makes room.
                if let oldest = s.open.min(by: { $0.value.seen < $1.value.seen })?.key { s.open.removeValue(forKey: oldest) }
            }
            s.open[key] = (r, Timestamps.nowMicros())
            s.version += 1
        }
    }

    public func capture(packets: UInt64, openFlows: Int, kernelDropped: UInt64, queueDropped: UInt64) {
        let now = Timestamps.nowMicros()
        shared.withLock { s in
            if let last = s.lastCapture, now > last.micros {
                s.packetsPerSecond = Double(packets &- min(packets, last.packets)) * 1e6 / Double(now - last.micros)
            }
            s.lastCapture = (packets, now)
            s.packets = packets
            s.openFlows = openFlows
            s.kernelDropped = kernelDropped
            s.queueDropped = queueDropped
            s.version += 1
        }
    }

    /// The places a flow touches: its ends' zones and a transit flow's nodes.
    static func zones(_ r: FlowRecord) -> [String] {
        var z = [r.client.zone, r.server.zone]
        if let p = r.path { z.append(p.enters); z.append(p.leaves) }
        return z
    }

    // MARK: rendering (on the server's thread)

    /// One tick's changes: the new flows (each one JSON object) and, when anything
    /// moved, the page's state (JSON) and, when flows ended, the boundary picture (SVG).
    struct Update {
        var flows: [(seq: UInt64, json: String)] = []
        var state: String?
        var svg: String?
    }

    private var renderedVersion: UInt64 = 0
    private var renderedBoundary: UInt64 = 0

    /// Called from one thread only (the server's event loop).
    func render() -> Update {
        var u = Update()
        var snapshot: Shared?
        var pending: [FlowRecord] = []
        shared.withLock { s in
            guard s.version != renderedVersion else { return }
            pending = Array(s.pending.suffix(rows))
            s.pending.removeAll(keepingCapacity: true)
            snapshot = s
        }
        guard let s = snapshot else { return u }
        renderedVersion = s.version
        let first = s.ended - UInt64(pending.count) + 1
        for (i, r) in pending.enumerated() { u.flows.append((first + UInt64(i), LiveView.flowJSON(r, seq: first + UInt64(i)))) }
        var header = ReportHeader(scenarioName: scenario.name, scenarioSource: scenario.source)
        header.places = places
        header.summary = s.summary
        header.expectations = Expectations.evaluate(scenario.expectations, s.summary)
        u.state = stateJSON(s, header)
        if s.boundaryVersion != renderedBoundary || renderedBoundary == 0 {
            renderedBoundary = max(1, s.boundaryVersion)
            u.svg = BoundaryPicture(boundary: s.boundary, map: places).svg(escape: HTMLReportWriter.esc)
        }
        return u
    }

    private func stateJSON(_ s: Shared, _ h: ReportHeader) -> String {
        let w = JSONWriter()
        w.beginObject()
        w.field("scenario", scenario.name.visible())
        w.field("verdict", HTMLReportWriter.verdictBanner(h, failOn: failOn))
        w.field("parties", HTMLReportWriter.partyCards(s.summary))
        w.field("packets", s.packets)
        w.key("pps"); w.int(Int64(s.packetsPerSecond.rounded()))
        w.field("kernelDropped", s.kernelDropped)
        w.field("queueDropped", s.queueDropped)
        w.field("openFlows", s.openFlows)
        w.field("flowsEnded", s.ended)
        w.field("rows", rows)
        w.beginArray("findings")
        for g in s.findings.values.sorted(by: { $0.lastSeq > $1.lastSeq }) {
            w.beginObject()
            w.field("code", g.key.code)
            w.field("severity", g.key.severity.rawValue)
            w.field("party", g.key.party.rawValue)
            w.field("count", g.count)
            w.field("accepted", g.accepted)
            w.beginArray("latest")
            for e in g.latest {
                w.beginObject()
                w.field("flow", e.flow)
                w.field("message", e.message.visible())
                w.field("acceptance", e.accepted?.visible())
                w.beginArray("zones")
                for z in e.zones { w.string(z.visible()) }
                w.endArray()
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.beginArray("open")
        for (r, _) in s.open.values.sorted(by: { $0.record.firstSeen > $1.record.firstSeen }) {
            LiveView.writeFlow(r, seq: 0, to: w)
        }
        w.endArray()
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func flowJSON(_ r: FlowRecord, seq: UInt64) -> String {
        let w = JSONWriter(capacity: 1024)
        writeFlow(r, seq: seq, to: w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// A flow as the table shows it: the report's wording for each column; the zones
    /// apart, for the place filter. Credentials by kind and user only, as in reports.
    static func writeFlow(_ r: FlowRecord, seq: UInt64, to w: JSONWriter) {
        w.beginObject()
        w.field("seq", seq)
        w.field("id", r.id)
        w.field("transport", r.transport)
        w.field("client", (Fmt.endpoint(r.client) + " (" + r.client.zone + ")").visible())
        w.field("server", (Fmt.endpoint(r.server) + " (" + r.server.zone + ")").visible())
        w.beginArray("zones")
        for z in zones(r) { w.string(z.visible()) }
        w.endArray()
        w.field("segment", Fmt.segment(r).visible())
        w.field("party", r.responsible.rawValue)
        w.field("encryption", Fmt.encryption(r).visible())
        w.field("state", r.encryption.state.name)
        w.field("sni", (r.encryption.sni ?? "").visible())
        w.field("application", (r.application ?? "").visible())
        w.field("packets", r.packets)
        w.field("bytes", r.bytes)
        w.field("bytesText", Fmt.bytes(r.bytes))
        w.field("rule", (r.rule.map { Fmt.rule($0, action: true) } ?? "").visible())
        w.field("findings", Fmt.findingCodes(r).visible())
        w.field("worst", r.findings.filter(\.counts).map(\.severity).max()?.rawValue)
        w.field("credentials", (r.credentials ?? []).map { c in c.kind.rawValue + (c.user.map { " " + $0 } ?? "") }
            .joined(separator: ", ").visible())
        w.endObject()
    }
}

/// Several observers as one (`--metrics` and `--serve` together): the pipeline keeps
/// one observer slot.
public final class LiveObservers: LiveObserver, @unchecked Sendable {
    let all: [any LiveObserver]
    public init(_ all: [any LiveObserver]) { self.all = all }
    public func flowEnded(_ r: FlowRecord) { for o in all { o.flowEnded(r) } }
    public func flowGrew(_ r: FlowRecord, packets: UInt64, bytes: UInt64) {
        for o in all { o.flowGrew(r, packets: packets, bytes: bytes) }
    }
    public func capture(packets: UInt64, openFlows: Int, kernelDropped: UInt64, queueDropped: UInt64) {
        for o in all { o.capture(packets: packets, openFlows: openFlows, kernelDropped: kernelDropped, queueDropped: queueDropped) }
    }
    public func gaveUp(fragmentDatagrams: UInt64, handshakes: UInt64) {
        for o in all { o.gaveUp(fragmentDatagrams: fragmentDatagrams, handshakes: handshakes) }
    }
}
