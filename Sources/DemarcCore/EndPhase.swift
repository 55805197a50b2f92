import DemarcFlows
#if canImport(Glibc)
import Glibc
#endif

/// The end of input with several workers: the flows still open, every shard's, are laid
/// out as records by every worker's thread, not each shard's by its own.
///
/// In replay to a format the workers render (`Direct`), once every shard's input is over,
/// the flows are rendered with their final ids (the merge has numbered them all), in
/// report order: the shards' open flows merged by id, cut into chunks of `chunk`, each
/// rendered into one text by whichever thread takes it and written by whichever thread
/// finds it due (`runDirect`).
///
/// Otherwise (other formats, live capture, a worker run on the starting thread) a shard's open
/// flows (its lane, in id order) are cut into chunks; a thread takes a chunk from the lane
/// with the fewest records waiting in the hub, its own on a tie. Shards end with
/// different numbers of open flows (the reading shard keeps a smaller share), and the
/// merge takes records in id order across shards, so without this the thread of the shard
/// with fewer flows runs ahead, waits for the merge, and leaves the other shard's flows to
/// one core.
///
/// Records stay in each shard's id order, as the merge needs them: a chunk done out of
/// turn waits until the chunks before it are handed on, and no thread takes a chunk more
/// than `window` chunks past the first not yet handed on, which bounds what waits. A
/// thread waits for room in the hub (`Hub.waitForRoom`) only when every chunk left is in
/// a lane with `Hub.endLimit` records out and no chunk is being laid out (that one
/// may be the one the merge needs), holding no lock, with every chunk it took handed on;
/// it waits until the main thread next hands records on, then chooses again: the main
/// thread can always go on. A shard's flows are read until every chunk of its lane is handed on; only then
/// does its own thread empty its table (`FlowTracker.clearEnded`).
final class EndPhase: @unchecked Sendable {
    /// Flows per chunk: a few hundred microseconds of work, and one lock per chunk.
    static let chunk = 256
    static let window = 8

    private final class Lane {
        var tracker: FlowTracker?
        var slots: [Int32] = []
        var chunks = 0
        var taken = 0
        var handed = 0
        var ready = false
        /// Its worker runs on the main thread (see `starter`).
        var inline = false
        /// Chunks laid out and waiting for those before them.
        var waiting: [Int: [Workers.Item]] = [:]
    }

    /// Rendering the flows with their final ids (`Direct`), once every lane is ready: each
    /// lane's slots and final ids (both in id order), merged by id a chunk at a time as
    /// chunks are taken, so no thread waits for the whole order to be laid out first.
    private struct Plan {
        var slots: [[Int32]] = []
        var ids: [[UInt64]] = []
        /// Where the merge is in each lane.
        var at: [Int] = []
        var total = 0
        var chunks: Int { (total + EndPhase.chunk - 1) / EndPhase.chunk }

        /// The next `chunk` flows in report order (lane, slot, id), into `out`.
        mutating func next(into out: inout [(lane: Int, slot: Int32, id: UInt64)]) {
            out.removeAll(keepingCapacity: true)
            while out.count < EndPhase.chunk {
                var best = -1, bestID = UInt64.max
                for l in ids.indices where at[l] < ids[l].count && ids[l][at[l]] < bestID {
                    best = l
                    bestID = ids[l][at[l]]
                }
                guard best >= 0 else { return }
                out.append((best, slots[best][at[best]], bestID))
                at[best] += 1
            }
        }
    }
    private enum DirectState { case waiting, planning, planned, off }
    private var directState = DirectState.waiting
    private var plan = Plan()
    private var nextChunk = 0
    private var written = 0
    private var writing = false
    private var rendered: [Int: RenderedChunk] = [:]
    /// Texts of chunks written, for the next chunks (new memory would be zeroed by the
    /// kernel on first touch: about a tenth of the end's time).
    private var spareTexts: [(base: UnsafeMutablePointer<UInt8>, capacity: Int)] = []
    /// Every lane rendered directly is done (its `publishFinals(done:)` sent).
    private var lanesReady = 0

    /// What a worker's thread needs to render flows with their final ids (replay, to a
    /// format whose flows the workers render, the merge on the workers' threads): no
    /// per-flow block, no merge by id, one text per chunk of flows in report order.
    struct Direct {
        let renderer: FlowRenderer
        /// Renders a flow into the chunk begun with `id` (counting it in the worker's
        /// summary): its record made where it is rendered, never copied on its way.
        let render: (UnsafeMutablePointer<FlowState>, FlowDetails?, _ id: UInt64) -> Void
        let site: Workers.MergeSite
        /// Writes a chunk to the report (the merge held).
        let deliver: (RenderedChunk) -> Void
    }

    /// `DEMARC_END_PER_FLOW=1`: the flows open at the end of input are laid out one by one
    /// and merged by id, as they are where workers do not render (for comparison).
    static let rendersDirectly = getenv("DEMARC_END_PER_FLOW").map { String(cString: $0) != "1" } ?? true

    private let hub: Workers.Hub
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let lanes: [Lane]
    /// The thread that starts the workers: a worker's body runs there only where its
    /// thread could not be made, after the workers before it. It then lays out its own
    /// shard's flows alone, and waits neither for shards yet to end nor for the merge
    /// (which runs there after the bodies; the hub does not make it wait either).
    private let starter = pthread_self()

    init(workers: Int, hub: Workers.Hub) {
        self.hub = hub
        lanes = (0..<workers).map { _ in Lane() }
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(changed)
        mutex.deallocate()
        changed.deallocate()
    }

    /// Worker `index`'s thread, its input over: its shard's open flows join the work, and
    /// this thread lays out records (with `layOut`: its own renderer and verdict) until
    /// every lane's chunks are taken, then waits for its own lane's to be handed on and
    /// empties its table. `between` runs after each chunk, holding no lock (the worker
    /// reuses its written blocks there).
    func run(_ index: Int, tracker: FlowTracker, layOut: (UnsafeMutablePointer<FlowState>, FlowDetails?) -> Workers.Item,
             direct: Direct? = nil, between: () -> Void) {
        let slots = tracker.endingSlots()
        pthread_mutex_lock(mutex)
        let own = lanes[index]
        own.tracker = tracker
        own.slots = slots
        own.chunks = (slots.count + EndPhase.chunk - 1) / EndPhase.chunk
        own.ready = true
        let inline = pthread_equal(pthread_self(), starter) != 0
        own.inline = inline
        lanesReady += 1
        if inline || direct == nil { directState = .off }
        pthread_cond_broadcast(changed)
        if let direct, runDirect(index, direct) {
            pthread_mutex_unlock(mutex)
            tracker.clearEnded()
            return
        }
        if own.chunks == 0 {
            var none: [Workers.Item] = []
            hub.publishFinals(index, &none, done: true)
        }
        var items: [Workers.Item] = []
        items.reserveCapacity(EndPhase.chunk)
        work: while true {
            switch next(for: index, inline: inline) {
            case .over:
                break work
            case .room(let l):
                pthread_mutex_unlock(mutex)
                hub.waitForRoom(l)
                pthread_mutex_lock(mutex)
            case .change:
                pthread_cond_wait(changed, mutex)
            case .chunk(let l, let c):
                let lane = lanes[l], lo = c * EndPhase.chunk, hi = min(lo + EndPhase.chunk, lane.slots.count)
                let owner = lane.tracker!
                pthread_mutex_unlock(mutex)
                for i in lo..<hi {
                    let (f, details) = owner.ending(lane.slots[i])
                    items.append(layOut(f, details))
                }
                pthread_mutex_lock(mutex)
                lane.waiting[c] = items
                items = []
                items.reserveCapacity(EndPhase.chunk)
                while var ready = lane.waiting.removeValue(forKey: lane.handed) {
                    lane.handed += 1
                    hub.publishFinals(l, &ready, done: lane.handed == lane.chunks)
                }
                pthread_cond_broadcast(changed)
                pthread_mutex_unlock(mutex)
                between()
                pthread_mutex_lock(mutex)
            }
        }
        while own.handed < own.chunks { pthread_cond_wait(changed, mutex) }
        own.tracker = nil
        own.slots = []
        pthread_mutex_unlock(mutex)
        tracker.clearEnded()
    }

    /// Holding the lock: waits for every lane, then renders chunks of flows in report
    /// order with their final ids (`Direct`) until none is left, writes them in order
    /// (whichever thread holds the next one), and returns true once every chunk is
    /// written and its own lane marked done. False (nothing done) where flows are laid
    /// out one by one instead: a worker runs on the starting thread, a worker does not
    /// render, or the merge cannot give the final ids.
    private func runDirect(_ index: Int, _ direct: Direct) -> Bool {
        while directState == .waiting && lanesReady < lanes.count { pthread_cond_wait(changed, mutex) }
        if directState == .waiting {
            directState = .planning
            let slots = lanes.map(\.slots)
            pthread_mutex_unlock(mutex)
            let ids = direct.site.finalIDs(slots.map(\.count))
            pthread_mutex_lock(mutex)
            if let ids {
                plan = Plan(slots: slots, ids: ids, at: Array(repeating: 0, count: ids.count),
                            total: ids.reduce(0) { $0 + $1.count })
            }
            directState = ids == nil ? .off : .planned
            pthread_cond_broadcast(changed)
        }
        while directState == .planning { pthread_cond_wait(changed, mutex) }
        guard directState == .planned else { return false }
        let chunks = plan.chunks
        var flows: [(lane: Int, slot: Int32, id: UInt64)] = []
        flows.reserveCapacity(EndPhase.chunk)
        while nextChunk < chunks {
            guard nextChunk < written + EndPhase.window else {
                pthread_cond_wait(changed, mutex)
                continue
            }
            let c = nextChunk
            nextChunk += 1
            plan.next(into: &flows)
            pthread_mutex_unlock(mutex)
            direct.renderer.beginChunk()
            for (lane, slot, id) in flows {
                let (f, details) = lanes[lane].tracker!.ending(slot)
                direct.render(f, details, id)
            }
            pthread_mutex_lock(mutex)
            let spare = spareTexts.popLast()
            pthread_mutex_unlock(mutex)
            let text = direct.renderer.endChunk(spare: spare)
            pthread_mutex_lock(mutex)
            rendered[c] = text
            // The chunks due are written by whichever thread finds them ready.
            while !writing, let next = rendered.removeValue(forKey: written) {
                writing = true
                pthread_mutex_unlock(mutex)
                direct.site.exclusively { direct.deliver(next) }
                pthread_mutex_lock(mutex)
                if spareTexts.count < EndPhase.window { spareTexts.append(next.storage) } else { next.release() }
                writing = false
                written += 1
                pthread_cond_broadcast(changed)
            }
        }
        while written < chunks { pthread_cond_wait(changed, mutex) }
        for t in spareTexts { t.base.deallocate() }
        spareTexts = []
        let own = lanes[index]
        own.handed = own.chunks
        own.tracker = nil
        own.slots = []
        pthread_mutex_unlock(mutex)
        var none: [Workers.Item] = []
        hub.publishFinals(index, &none, done: true)
        pthread_mutex_lock(mutex)
        return true
    }

    private enum Next {
        /// Lay out this chunk of this lane.
        case chunk(Int, Int)
        /// Every lane's chunks are taken.
        case over
        /// Chunks are left only in lanes with `Hub.endLimit` records out: wait for the
        /// main thread to hand on some of this one's.
        case room(Int)
        /// A lane is not ready yet, or its chunks wait for those before them.
        case change
    }

    /// What to do next, holding the lock: of the lanes with a chunk that may be taken, the
    /// one with the fewest records out (the merge needs it soonest; this thread's own
    /// shard on a tie), so that a thread whose shard runs ahead helps the one behind.
    private func next(for index: Int, inline: Bool) -> Next {
        var best = -1, bestOut = Int.max, blocked = -1, pending = false, inFlight = false
        for k in 0..<lanes.count {
            let l = (index + k) % lanes.count, lane = lanes[l]
            // A worker run on the main thread lays out its own shard's flows alone, and
            // no other takes them (see `starter`).
            guard inline ? l == index : !lane.inline else { continue }
            guard lane.ready else { pending = true; continue }
            guard lane.taken < lane.chunks else { continue }
            pending = true
            guard lane.taken < lane.handed + EndPhase.window else { inFlight = true; continue }
            let out = hub.outstanding(l)
            if out >= hub.endLimit {
                if blocked < 0 { blocked = l }
            } else if out < bestOut {
                best = l
                bestOut = out
            }
        }
        if best >= 0 {
            lanes[best].taken += 1
            return .chunk(best, lanes[best].taken - 1)
        }
        // A chunk another thread is laying out ends with a broadcast, and may be the one
        // the merge needs next: waiting for room elsewhere could then wait for ever.
        if inFlight { return .change }
        if blocked >= 0 { return .room(blocked) }
        return pending && !inline ? .change : .over
    }
}
