import CoreMetrics
import Prometheus
import Synchronization
import DemarcCore

/// A live run's figures as Prometheus metrics (`monitor --metrics`): swift-metrics'
/// instruments on a swift-prometheus registry, which `MetricsServer` serves as
/// `/metrics`. Labels are bounded sets (segment, party, encryption state, application,
/// finding code, severity, credential kind), never an address, a port or a name from
/// the traffic; no payload and no secret is ever a label.
public final class FleetMetrics: LiveObserver, @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: DescribedFactory
    /// Totals last seen, to turn the capture's running totals into counter increments.
    private let seen = Mutex((packets: UInt64(0), kernel: UInt64(0), queue: UInt64(0)))

    /// Each metric's name and its `# HELP` text.
    static let help: [String: String] = [
        "demarc_flows_total": "Flows ended, by segment (and a transit flow's entry and exit nodes), responsible party, encryption state and application.",
        "demarc_rule_flows_total": "Flows ended, by the filter rule that decided them (segment and rule name from the scenario).",
        "demarc_packets_total": "Packets of flows, counted while flows are open (about every second) and when they end.",
        "demarc_bytes_total": "Frame bytes of flows, counted while flows are open (about every second) and when they end.",
        "demarc_findings_total": "Findings of ended flows that count (not covered by an unexpired acceptance), by code, severity and party.",
        "demarc_findings_accepted_total": "Findings of ended flows covered by an unexpired acceptance, by code, severity and party.",
        "demarc_credentials_total": "Cleartext credentials seen in ended flows, by kind (never the user or the secret).",
        "demarc_captured_packets_total": "Packets read from the interface, decoded or not.",
        "demarc_dropped_packets_total": "Packets lost before analysis: by the kernel (pcap_stats) or by demarc's own queue.",
        "demarc_open_flows": "Flows open now.",
        "demarc_flows_evicted_total": "Flows ended early because the flow table was full (--max-flows); each is also counted in demarc_flows_total.",
        "demarc_fragments_forgotten_total": "Fragmented datagrams the bounded fragment cache forgot before their last fragment came (summary.fragments_forgotten).",
        "demarc_handshakes_given_up_total": "Flows whose TLS, SSH or QUIC handshake buffers were given up for the per-worker budget on them (summary.handshakes_given_up).",
    ]

    public init() {
        factory = DescribedFactory(registry: registry, help: Self.help)
        // Series that exist before any traffic, so a scrape shows them at zero.
        for by in ["kernel", "queue"] { counter("demarc_dropped_packets_total", [("by", by)]).increment(by: 0) }
        counter("demarc_captured_packets_total", []).increment(by: 0)
        counter("demarc_flows_evicted_total", []).increment(by: 0)
        counter("demarc_fragments_forgotten_total", []).increment(by: 0)
        counter("demarc_handshakes_given_up_total", []).increment(by: 0)
        Meter(label: "demarc_open_flows", dimensions: [], factory: factory).set(0)
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
    }

    /// A transit flow's path is two labels, the nodes it enters and leaves at (names from
    /// the scenario, a bounded set); empty, which Prometheus reads as absent, elsewhere.
    static func flowLabels(_ r: FlowRecord) -> [(String, String)] {
        [("segment", r.segment.rawValue), ("enters", r.path?.enters ?? ""), ("leaves", r.path?.leaves ?? ""),
         ("party", r.responsible.rawValue), ("encryption", r.encryption.state.name), ("application", r.application ?? "none")]
    }

    public func flowEnded(_ r: FlowRecord) {
        let labels = Self.flowLabels(r)
        counter("demarc_flows_total", labels).increment()
        if r.finish == .evicted { counter("demarc_flows_evicted_total", []).increment() }
        if let m = r.rule { counter("demarc_rule_flows_total", [("segment", m.segment.rawValue), ("rule", m.name)]).increment() }
        add(r, labels, packets: r.packets &- min(r.packets, r.exportedPackets), bytes: r.bytes &- min(r.bytes, r.exportedBytes))
        for f in r.findings {
            let name = f.counts ? "demarc_findings_total" : "demarc_findings_accepted_total"
            counter(name, [("code", f.code), ("severity", f.severity.rawValue), ("party", f.party.rawValue)]).increment()
        }
        for c in r.credentials ?? [] { counter("demarc_credentials_total", [("kind", c.kind.rawValue)]).increment() }
    }

    public func flowGrew(_ r: FlowRecord, packets: UInt64, bytes: UInt64) {
        add(r, Self.flowLabels(r), packets: packets, bytes: bytes)
    }

    private func add(_ r: FlowRecord, _ labels: [(String, String)], packets: UInt64, bytes: UInt64) {
        if packets > 0 { counter("demarc_packets_total", labels).increment(by: Int64(clamping: packets)) }
        if bytes > 0 { counter("demarc_bytes_total", labels).increment(by: Int64(clamping: bytes)) }
    }

    public func capture(packets: UInt64, openFlows: Int, kernelDropped: UInt64, queueDropped: UInt64) {
        Meter(label: "demarc_open_flows", dimensions: [], factory: factory).set(openFlows)
        let (dp, dk, dq) = seen.withLock { seen -> (UInt64, UInt64, UInt64) in
            // pcap_stats' counter may restart (32 bits on some kernels): never go back.
            let d = (packets &- min(packets, seen.packets), kernelDropped &- min(kernelDropped, seen.kernel),
                     queueDropped &- min(queueDropped, seen.queue))
            seen = (max(seen.packets, packets), max(seen.kernel, kernelDropped), max(seen.queue, queueDropped))
            return d
        }
        if dp > 0 { counter("demarc_captured_packets_total", []).increment(by: Int64(clamping: dp)) }
        if dk > 0 { counter("demarc_dropped_packets_total", [("by", "kernel")]).increment(by: Int64(clamping: dk)) }
        if dq > 0 { counter("demarc_dropped_packets_total", [("by", "queue")]).increment(by: Int64(clamping: dq)) }
    }

    public func gaveUp(fragmentDatagrams: UInt64, handshakes: UInt64) {
        if fragmentDatagrams > 0 { counter("demarc_fragments_forgotten_total", []).increment(by: Int64(clamping: fragmentDatagrams)) }
        if handshakes > 0 { counter("demarc_handshakes_given_up_total", []).increment(by: Int64(clamping: handshakes)) }
    }

    /// The registry in Prometheus' text exposition format (version 0.0.4).
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// swift-metrics' factory for counters and meters on a swift-prometheus registry, with
/// each metric's help text (Prometheus' own factory registers them without one, and
/// `promtool check metrics` asks for it).
struct DescribedFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let help: [String: String]
    let plain: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry, help: [String: String]) {
        self.registry = registry
        self.help = help
        plain = PrometheusMetricsFactory(registry: registry)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "")
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        plain.makeTimer(label: label, dimensions: dimensions)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
