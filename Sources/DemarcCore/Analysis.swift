import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport
/// The pipeline: capture → decode → flows (→ inspection) → classification → report.
/// Each stage knows only the value the previous one hands it. Used by replay (files)
/// and monitor (an interface) alike.
public final class Analysis {
    public let classifier: Classifier
    public let tracker: FlowTracker
    private let writer: ReportWriter
    @exclusivity(unchecked) public private(set) var header: ReportHeader
    @exclusivity(unchecked) private var reorder: ReorderBuffer
    private let ordered: Bool
    @exclusivity(unchecked) private var packet = DecodedPacket()
    /// Called for every flow as it is reported (for live status lines).
    @exclusivity(unchecked) public var onReport: ((FlowRecord) -> Void)?
    /// `diff`: a second scenario every flow is also classified under, and the two records
    /// of each flow, in report order.
    private let alternate: Classifier?
    @exclusivity(unchecked) private var alternateRecords: [UInt64: FlowRecord] = [:]
    @exclusivity(unchecked) public private(set) var alternateSummary = Summary()
    public private(set) var alternateExpectations: [ExpectationResult] = []
    public var onPair: ((FlowRecord, FlowRecord) -> Void)?

    /// - Parameter ordered: report flows in first-packet order (replay); live monitoring
    ///   reports each flow the moment it ends.
    /// - Parameter asOfDay: the day (UTC day number) `accept` entries expire against; when
    ///   nil, the day each flow is classified on (monitor).
    public init(scenario: Scenario, writer: ReportWriter, timeouts: FlowTimeouts = FlowTimeouts(), ordered: Bool = true,
                asOfDay: Int? = nil, alternate: Scenario? = nil) {
        self.classifier = Classifier(scenario: scenario, asOfDay: asOfDay)
        self.alternate = alternate.map { Classifier(scenario: $0, asOfDay: asOfDay) }
        self.tracker = FlowTracker(timeouts: timeouts)
        self.writer = writer
        self.ordered = ordered
        self.reorder = ReorderBuffer()
        self.header = ReportHeader(scenarioName: scenario.name, scenarioSource: scenario.source)
        if scenario.hasAcceptList { header.acceptances = scenario.acceptances }
        header.places = PlaceMap(scenario: scenario)
        header.summary = Summary(filters: scenario.filters)
        if let alternate { alternateSummary = Summary(filters: alternate.filters) }
        tracker.onFinish = { [unowned self] flow, details, reason in
            self.finished(flow, details, reason)
        }
        writer.begin(header)
    }

    /// Reads a source to its end (or until `shouldStop` says so), accounting each packet
    /// in `stats`. Returns how reading ended.
    public func run(_ source: PcapSource, stats: inout InputStats, shouldStop: () -> Bool = { false },
                    tick: ((InputStats) -> Void)? = nil) -> ReadStatus {
        let decoder = PacketDecoder(linkType: source.linkType)
        let tracker = self.tracker
        var status = ReadStatus.packet
        var sinceTick = 0
        while true {
            // Packets in batches: one closure context per batch, not per packet.
            let (n, s) = source.next(upTo: 4096) { frame, wireLength, ts in
                process(frame, wireLength: wireLength, timestamp: ts, decoder: decoder, tracker: tracker, stats: &stats)
            }
            status = s
            if status == .timeout {
                if shouldStop() { return .end }
                tick?(stats)
                source.waitReadable(milliseconds: 100)
                continue
            }
            guard status == .packet else { break }
            sinceTick += n
            if sinceTick >= 65_536 {
                sinceTick = 0
                tick?(stats)
                if shouldStop() { return .end }
            }
        }
        return status
    }

    /// One captured frame through decode and flow tracking.
    @inline(__always)
    public func process(_ frame: UnsafeRawBufferPointer, wireLength: Int, timestamp ts: Int64, decoder: PacketDecoder,
                        tracker: FlowTracker, stats: inout InputStats) {
        stats.packets += 1
        stats.bytes += UInt64(wireLength)
        switch decoder.decode(frame, into: &packet) {
        case .ip:
            tracker.track(packet, frame: frame, wireLength: wireLength, timestamp: ts)
        case .notIP:
            stats.nonIP += 1
        case .undecodable:
            stats.undecoded += 1
        case .linkEncrypted:
            stats.linkEncrypted += 1
        }
    }

    /// Finishes flows idle at wall-clock time (live capture with no traffic).
    public func expireIdle(atMicros now: Int64) {
        tracker.expire(at: now)
    }

    public func addInput(_ stats: InputStats) {
        header.inputs.append(stats)
    }

    public func updateInput(_ index: Int, _ stats: InputStats) {
        header.inputs[index] = stats
    }

    /// Finishes every open flow, evaluates expectations and writes the report's end.
    public func finish() -> ReportHeader {
        header.summary.peakActiveFlows = peakFromWorkers ?? UInt64(tracker.table.peakCount)
        tracker.finishAll()
        reorder.flush { emit($0) }
        header.expectations = Expectations.evaluate(classifier.scenario.expectations, header.summary)
        if let alt = alternate { alternateExpectations = Expectations.evaluate(alt.scenario.expectations, alternateSummary) }
        writer.finish(header)
        return header
    }

    private func finished(_ f: UnsafeMutablePointer<FlowState>, _ details: FlowDetails?, _ reason: FinishReason) {
        let r = FlowRecord(flow: f.pointee, details: details, classifier: classifier, reason: reason)
        deliver(r, alternate: alternate.map { FlowRecord(flow: f.pointee, details: details, classifier: $0, reason: reason) })
    }

    /// Where workers tracked the flows: their tables' peaks, summed.
    var peakFromWorkers: UInt64?

    /// The alternate classifier (`diff`), for workers that make records themselves.
    var alternateClassifier: Classifier? { alternate }

    /// A finished flow's record, made here or by a worker (with its final id): into the
    /// report, in id order for replay.
    func deliver(_ r: FlowRecord, alternate a: FlowRecord?) {
        if let a { alternateRecords[r.id] = a }
        if ordered {
            reorder.add(r) { emit($0) }
        } else {
            emit(r)
        }
    }

    private func emit(_ r: FlowRecord) {
        if alternate != nil, let a = alternateRecords.removeValue(forKey: r.id) {
            alternateSummary.add(a)
            onPair?(r, a)
        }
        header.summary.add(r)
        writer.flow(r)
        onReport?(r)
    }
}
