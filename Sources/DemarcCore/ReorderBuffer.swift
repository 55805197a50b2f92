import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport
/// Puts finished flows back in id (first packet) order for output. A finished flow is
/// held only while an older one is still open, and only finished flows take room: a
/// min-heap by id, however many flows are open between them. If more than `limit` are
/// held (one long-lived flow holding back that many finished ones), the oldest held is
/// released anyway and the flows it overtook come out when they end, so memory stays
/// bounded on endless input.
struct ReorderBuffer {
    private var held: [FlowRecord] = []
    /// The id due next.
    private var due: UInt64 = 1
    let limit: Int

    init(limit: Int = 100_000) { self.limit = limit }

    mutating func add(_ r: FlowRecord, emit: (FlowRecord) -> Void) {
        if r.id < due {
            // Overtaken while it was open: written when it ends.
            emit(r)
            return
        }
        if r.id == due {
            emit(r)
            due += 1
            release(emit: emit)
            return
        }
        push(r)
        while held.count > limit {
            let oldest = pop()
            due = oldest.id + 1
            emit(oldest)
            release(emit: emit)
        }
    }

    /// Writes everything still held (end of input), oldest first.
    mutating func flush(emit: (FlowRecord) -> Void) {
        while !held.isEmpty { emit(pop()) }
    }

    private mutating func release(emit: (FlowRecord) -> Void) {
        while let top = held.first, top.id <= due {
            let r = pop()
            if r.id == due { due += 1 }
            emit(r)
        }
    }

    // MARK: min-heap by id

    private mutating func push(_ r: FlowRecord) {
        held.append(r)
        var i = held.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard held[i].id < held[parent].id else { break }
            held.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func pop() -> FlowRecord {
        held.swapAt(0, held.count - 1)
        let top = held.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < held.count && held[l].id < held[m].id { m = l }
            if r < held.count && held[r].id < held[m].id { m = r }
            if m == i { break }
            held.swapAt(i, m)
            i = m
        }
        return top
    }
}
