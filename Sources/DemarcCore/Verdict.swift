import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport

/// The verdict stage, between the end of a flow and its report: the scenario's
/// classification of the flow's facts (segment, places, party, rule, findings), laid out
/// with its encryption verdict as the record every report format renders. `diff` runs a
/// second stage under AFTER on the same flows. Pure (the classifier only reads its
/// scenario): shards run it on their own threads.
struct Verdict: @unchecked Sendable {
    let classifier: Classifier

    init(_ classifier: Classifier) { self.classifier = classifier }

    /// The same verdict stage with a classifier of its own, for one worker's thread
    /// (`Classifier.unshared`).
    func unshared() -> Verdict { Verdict(classifier.unshared()) }

    /// A flow (finished, or open as it stands) as its report record; `reason` is why the
    /// tracker finished it.
    @inline(__always)
    func record(_ f: FlowState, _ details: FlowDetails?, _ reason: FinishReason = .endOfInput) -> FlowRecord {
        FlowRecord(flow: f, details: details, reason: reason, classifier: classifier)
    }
}
