import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport
/// The end of the packet path, shared by replay, monitor and diff: source → shard
/// (decode, flows, inspection) → verdict (`Verdict`) → sinks. A shard hands each finished
/// flow to `judge` (on its own thread); the records come back here through `deliver`, in
/// first-packet order for replay, and go to the report's writer and, for `diff`, to a
/// second verdict's sink.
public final class Analysis {
    public let classifier: Classifier
    let verdict: Verdict
    /// `diff`: every flow judged again under AFTER, and where those records go.
    let second: SecondVerdict?
    let timeouts: FlowTimeouts
    private let writer: ReportWriter
    /// The writer, where it renders flows one by one (`makeRenderer`).
    private let renderingWriter: (any RenderingReportWriter)?
    @exclusivity(unchecked) public private(set) var header: ReportHeader
    @exclusivity(unchecked) private var reorder: ReorderBuffer<FlowRecord>
    /// Flows rendered by the workers (`renderer`), put in order here.
    @exclusivity(unchecked) private var renderedOrder = ReorderBuffer<RenderedFlow>()
    private let ordered: Bool
    /// Called for every flow as it is reported (for live status lines).
    @exclusivity(unchecked) public var onReport: ((FlowRecord) -> Void)?
    /// The most flows open at once: the shards' peaks, summed (set as reading ends).
    var peakActiveFlows: UInt64 = 0

    /// As reading ends: what the shards' trackers counted, summed into the summary (the
    /// peak of open flows, and what their bounded caches gave up).
    func account(_ trackers: [FlowTracker]) {
        peakActiveFlows = trackers.reduce(0) { $0 + UInt64($1.table.peakCount) }
        header.summary.fragmentsForgotten = trackers.reduce(0) { $0 + $1.fragmentsForgotten }
        header.summary.handshakesGivenUp = trackers.reduce(0) { $0 + $1.handshakesGivenUp }
        let told = trackers.reduce((UInt64(0), UInt64(0))) { ($0.0 + $1.exportedLosses.fragments, $0.1 + $1.exportedLosses.handshakes) }
        lossesNotExported = (header.summary.fragmentsForgotten - told.0, header.summary.handshakesGivenUp - told.1)
    }
    /// Of what `account` summed, what no live observer was told (the last second's).
    private(set) var lossesNotExported: (fragments: UInt64, handshakes: UInt64) = (0, 0)

    /// - Parameter ordered: report flows in first-packet order (replay); live monitoring
    ///   reports each flow the moment it ends.
    /// - Parameter asOfDay: the day (UTC day number) `accept` entries expire against; when
    ///   nil, the day each flow is classified on (monitor).
    init(scenario: Scenario, writer: ReportWriter, timeouts: FlowTimeouts = FlowTimeouts(), ordered: Bool = true,
         asOfDay: Int? = nil, second: SecondVerdict? = nil) {
        self.classifier = Classifier(scenario: scenario, asOfDay: asOfDay)
        self.verdict = Verdict(classifier)
        self.second = second
        self.timeouts = timeouts
        self.writer = writer
        renderingWriter = writer as? any RenderingReportWriter
        self.ordered = ordered
        self.reorder = ReorderBuffer()
        self.header = ReportHeader(scenarioName: scenario.name, scenarioSource: scenario.source)
        if scenario.hasAcceptList { header.acceptances = scenario.acceptances }
        header.places = PlaceMap(scenario: scenario)
        header.summary = Summary(filters: scenario.filters)
        writer.begin(header)
    }

    /// A renderer for one worker's thread, where its flows can be rendered there: replay
    /// (flows in first-packet order), a format that renders flows one by one, and nothing
    /// else that reads the records (`diff`'s second verdict, `onReport`). The worker then
    /// counts its flows in a summary of its own (`Summary.addCounts`, merged by `account`)
    /// and hands on their text (`deliver(rendered:)`).
    func makeRenderer() -> FlowRenderer? {
        guard rendersFlows, let w = renderingWriter else { return nil }
        return w.makeRenderer(rules: header.summary)
    }

    /// Whether workers render their flows (`makeRenderer` gives them a renderer).
    var rendersFlows: Bool { ordered && second == nil && onReport == nil && renderingWriter != nil }

    /// What the workers counted of the flows they rendered.
    func addCounts(_ counts: Summary) {
        header.summary.mergeCounts(counts)
    }

    /// A flow rendered by a worker, with its id, into the report in id order.
    func deliver(rendered r: consuming RenderedFlow) {
        renderedOrder.add(r) { emit(rendered: $0) }
    }

    /// Flows still open at the end of input, rendered with their ids (`RenderedChunk`),
    /// written in id order with the flows held before them: their text from where it
    /// lies, written out before the chunk is freed.
    func deliver(chunk c: RenderedChunk) {
        let writer = renderingWriter!
        var from = 0
        for i in 0..<c.count {
            let id = c.ids[i]
            if renderedOrder.holds(below: id) {
                writer.flows(c.text(from..<i), count: i - from, separatorBefore: c.separatorBefore, inPlace: true)
                renderedOrder.release(below: id) { emit(rendered: $0) }
                from = i
            }
            if let t = c.tallies[i] { header.summary.add(t) }
        }
        writer.flows(c.text(from..<c.count), count: c.count - from, separatorBefore: c.separatorBefore, inPlace: true)
        writer.releaseText()
    }

    private func emit(rendered r: RenderedFlow) {
        if let t = r.tally { header.summary.add(t) }
        // While workers run, a written flow's block goes back to its worker after the
        // output's next flush (`takeSpent`), so its text is written where it lies.
        renderingWriter!.flow(r, inPlace: !spent.isEmpty)
        if spent.isEmpty { r.release() } else { spent[r.owner].append(r.storage) }
    }

    /// While workers run: the blocks of rendered flows written, by the worker that
    /// allocated them, to be freed on its thread (`Workers.Hub.giveBack`).
    @exclusivity(unchecked) private var spent: [[UnsafeMutableRawPointer]] = []

    /// Written flows' blocks are kept for their workers (`takeSpent`) until `stopKeepingSpent`.
    func keepSpent(workers: Int) { spent = Array(repeating: [], count: workers) }

    /// The blocks kept since the last call, by worker.
    func takeSpent(into lists: inout [[UnsafeMutableRawPointer]]) -> Bool {
        guard spent.contains(where: { !$0.isEmpty }) else { return false }
        renderingWriter?.releaseText()
        swap(&lists, &spent)
        if spent.count != lists.count { spent = Array(repeating: [], count: lists.count) }
        return true
    }

    /// The workers are gone: blocks kept are freed here, and from now on at once.
    func stopKeepingSpent() {
        renderingWriter?.releaseText()
        for list in spent { for b in list { b.deallocate() } }
        spent = []
    }

    /// The verdict stage on a finished flow: its record (by `verdict`, the shard's copy of
    /// this analysis's), and its second record for `diff`. Runs on the thread of the shard
    /// that tracked the flow.
    @inline(__always)
    func judge(_ f: UnsafeMutablePointer<FlowState>, _ details: FlowDetails?, _ reason: FinishReason,
               with verdict: Verdict) -> (FlowRecord, FlowRecord?) {
        (verdict.record(f.pointee, details, reason), second.map { $0.verdict.record(f.pointee, details, reason) })
    }

    /// A flow one shard (`--workers 1`) finished: judged and delivered on this thread.
    func finished(_ f: UnsafeMutablePointer<FlowState>, _ details: FlowDetails?, _ reason: FinishReason) {
        if let second { second.hold(second.verdict.record(f.pointee, details, reason)) }
        deliver(verdict.record(f.pointee, details, reason))
    }

    func addInput(_ stats: InputStats) {
        header.inputs.append(stats)
    }

    func updateInput(_ index: Int, _ stats: InputStats) {
        header.inputs[index] = stats
    }

    /// Writes every flow still held, evaluates expectations and writes the report's end.
    /// The shards have finished their open flows by then.
    public func finish() -> ReportHeader {
        header.summary.peakActiveFlows = peakActiveFlows
        reorder.flush { emit($0) }
        renderedOrder.flush { emit(rendered: $0) }
        header.expectations = Expectations.evaluate(classifier.scenario.expectations, header.summary)
        second?.finish()
        writer.finish(header)
        return header
    }

    /// A finished flow's records (with its final id) into the report: in id order for
    /// replay, at once for monitor.
    func deliver(_ r: consuming FlowRecord, second s: FlowRecord?) {
        if let s { second?.hold(s) }
        deliver(r)
    }

    /// A record (its second record, if any, already held) into the report. The record is
    /// moved, never copied: into the reorder buffer when it must wait for an older flow.
    @inline(__always)
    private func deliver(_ r: consuming FlowRecord) {
        if ordered {
            reorder.add(r) { emit($0) }
        } else {
            emit(r)
        }
    }

    private func emit(_ r: FlowRecord) {
        second?.reported(r)
        header.summary.add(r)
        writer.flow(r)
        onReport?(r)
    }
}

/// A second verdict on every flow (`diff`'s AFTER scenario) and its sink: each flow's
/// second record waits here until its first is reported, and the two go to `pair`
/// together, in report order. `finished` runs once the report ends.
final class SecondVerdict {
    let verdict: Verdict
    private var held: [UInt64: FlowRecord] = [:]
    private let pair: (FlowRecord, FlowRecord) -> Void
    private let finished: () -> Void

    init(_ classifier: Classifier, pair: @escaping (FlowRecord, FlowRecord) -> Void, finished: @escaping () -> Void) {
        verdict = Verdict(classifier)
        self.pair = pair
        self.finished = finished
    }

    func hold(_ r: FlowRecord) { held[r.id] = r }

    func reported(_ first: FlowRecord) {
        if let s = held.removeValue(forKey: first.id) { pair(first, s) }
    }

    func finish() { finished() }
}
