import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport
/// Puts finished flows back in id (first packet) order for output, holding a finished
/// flow only while an older one is still open. If one long-lived flow holds back more
/// than `limit` finished ones, they are released anyway and the old flow comes out when
/// it ends, so memory stays bounded on endless input.
struct ReorderBuffer {
    private var pending: [FlowRecord?] = []
    private var head = 0
    /// Id of pending[head].
    private var baseID: UInt64 = 1
    private var passedOver = Set<UInt64>()
    let limit: Int

    init(limit: Int = 100_000) { self.limit = limit }

    mutating func add(_ r: FlowRecord, emit: (FlowRecord) -> Void) {
        if r.id == baseID && head == pending.count {
            // Due and nothing held: straight out, never stored.
            emit(r)
            baseID += 1
            return
        }
        if r.id < baseID {
            // Released early (passed over) or already due: write it now.
            passedOver.remove(r.id)
            emit(r)
            return
        }
        let slot = head + Int(r.id - baseID)
        while pending.count <= slot { pending.append(nil) }
        pending[slot] = r
        drain(emit: emit, force: false)
    }

    /// Writes everything still held (end of input).
    mutating func flush(emit: (FlowRecord) -> Void) {
        drain(emit: emit, force: true)
    }

    private mutating func drain(emit: (FlowRecord) -> Void, force: Bool) {
        while head < pending.count {
            if let r = pending[head] {
                emit(r)
                pending[head] = nil
            } else if force || pending.count - head > limit {
                passedOver.insert(baseID)
            } else {
                break
            }
            head += 1
            baseID += 1
        }
        if head > 4096 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
    }
}
