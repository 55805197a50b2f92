import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport

/// The verdict stage, between the end of a flow and its report: the flow's encryption
/// verdict, the facts the scenario rules on, and their classification, as the record
/// every report format renders. `diff` runs a second stage under AFTER on the same flows.
/// Pure (the classifier only reads its scenario): shards run it on their own threads.
struct Verdict: @unchecked Sendable {
    let classifier: Classifier

    init(_ classifier: Classifier) { self.classifier = classifier }

    /// A flow (finished, or open as it stands) as its report record.
    func record(_ f: FlowState, _ details: FlowDetails?) -> FlowRecord {
        let k = f.key
        let (cIP, cPort, sIP, sPort) = f.clientIsA ? (k.a, k.portA, k.b, k.portB) : (k.b, k.portB, k.a, k.portA)
        let hasPorts = IPProtocol.hasPorts(k.proto) && !k.orphanFragments
        let d = details?.reported
        let verdict = EncryptionReport.describe(f.inspect, d)
        var facts = FlowFacts(client: cIP, server: sIP, clientPort: hasPorts ? cPort : nil, serverPort: hasPorts ? sPort : nil,
                              proto: k.proto, state: f.inspect.state, protocolName: verdict.displayName,
                              weak: f.inspect.weak, weakReason: verdict.encryption.weak,
                              isTLS: verdict.isTLS, tlsVersion: verdict.encryption.version,
                              certificateHidden: verdict.certificateHidden, certificate: verdict.encryption.certificate)
        if let d, !d.credentials.isEmpty { facts.credentials = d.credentials }
        facts.certificateUnread = verdict.certificateUnread
        facts.linkGroup = f.linkGroup
        facts.keyExchange = d?.negotiated?.keyExchange
        facts.postQuantum = d?.negotiated?.postQuantum
        return FlowRecord(flow: f, details: d, encryption: verdict, facts: facts, classification: classifier.classify(facts))
    }
}
