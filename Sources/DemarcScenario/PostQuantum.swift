import DemarcBase
import DemarcDecode
import DemarcInspect

extension Classifier {
    /// Why a flow's key exchange must be post-quantum (`encryption.post_quantum` for its
    /// segment, or a zone with `post_quantum: true` at either end), or nil where nothing
    /// requires it. Asked only of encrypted flows whose exchange was seen to be classical.
    func postQuantumRequirement(_ segment: Segment, _ cp: Placement, _ sp: Placement) -> String? {
        // Link flows stay outside the boundary's duties (SCENARIO.md): no encryption finding.
        guard segment != .link else { return nil }
        if scenario.postQuantum[segment] == .required { return "encryption.post_quantum.\(segment.rawValue) is required" }
        for p in [cp, sp] where p.node == nil {
            if let z = p.zone, scenario.zones[z].postQuantum { return "zone \(scenario.zones[z].name) requires post-quantum key exchange" }
        }
        return nil
    }
}
