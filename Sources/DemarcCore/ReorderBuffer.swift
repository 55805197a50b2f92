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
///
/// The heap orders small (id, place) entries; each record stays where it was moved in
/// (`store`) until it is moved out to be written, so a held record is never copied,
/// retained or released on its way through (embryonic flows that expire early make many
/// records wait for an older open flow).
/// What the reorder buffer holds: a flow's record, or its rendered text.
protocol Reorderable {
    var id: UInt64 { get }
}

extension FlowRecord: Reorderable {}
extension RenderedFlow: Reorderable {}

struct ReorderBuffer<Held: Reorderable> {
    private struct Entry {
        var id: UInt64
        var place: Int
    }
    private var heap: [Entry] = []
    /// Held records by place; nil where a place is free.
    private var store: [Held?] = []
    /// Places in `store` free for the next record.
    private var free: [Int] = []
    /// The id due next.
    private var due: UInt64 = 1
    let limit: Int

    /// 20,000 held flows cost about 22 MB of rendered text (SYN-only flows, jsonl). The
    /// realistic 4M-packet capture holds at most 6,364 at once; a flood split among
    /// workers, each evicting its own oldest flows, keeps the limit full (see
    /// docs/deployment.md, "Memory under floods").
    init(limit: Int = 20_000) { self.limit = limit }

    mutating func add(_ r: consuming Held, emit: (Held) -> Void) {
        let id = r.id
        if id < due {
            // Overtaken while it was open: written when it ends.
            emit(r)
            return
        }
        if id == due {
            emit(r)
            due += 1
            release(emit: emit)
            return
        }
        push(r)
        while heap.count > limit {
            let oldest = pop()
            due = oldest.id + 1
            emit(oldest)
            release(emit: emit)
        }
    }

    /// Whether a flow older than `id` is held.
    @inline(__always)
    func holds(below id: UInt64) -> Bool {
        guard let top = heap.first else { return false }
        return top.id < id
    }

    /// Writes the flows held that are older than `id`, oldest first: at the end of input,
    /// before the flow `id` still open then (every flow not held is written or still open,
    /// so the report goes on in id order; see `Workers.EndPhase`).
    mutating func release(below id: UInt64, emit: (Held) -> Void) {
        while let top = heap.first, top.id < id { emit(pop()) }
    }

    /// Writes everything still held (end of input), oldest first.
    mutating func flush(emit: (Held) -> Void) {
        while !heap.isEmpty { emit(pop()) }
    }

    private mutating func release(emit: (Held) -> Void) {
        while let top = heap.first, top.id <= due {
            let r = pop()
            if r.id == due { due += 1 }
            emit(r)
        }
    }

    // MARK: min-heap by id

    private mutating func push(_ r: consuming Held) {
        let id = r.id
        let place: Int
        if let p = free.popLast() {
            place = p
            store[p] = consume r
        } else {
            place = store.count
            store.append(consume r)
        }
        heap.append(Entry(id: id, place: place))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].id < heap[parent].id else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func pop() -> Held {
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].id < heap[m].id { m = l }
            if r < heap.count && heap[r].id < heap[m].id { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        free.append(top.place)
        return store[top.place].take()!
    }
}
