import DemarcBase
import DemarcFlows
import DemarcReport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The merge of N shards' finished flows into one report: shards publish batches to the
/// hub, the main thread numbers their flows across shards and hands each record on.
/// Memory is bounded by open flows, not finished ones: a shard with `Hub.recordLimit`
/// records published and not yet handed on (it has run ahead of another, whose progress
/// those records' numbers wait for) waits until the main thread catches up.
extension Workers {
    /// What a worker hands the main thread: where its flows began (packet numbers, in
    /// order), the records of flows it finished (numbered by the worker), and how far it
    /// has read.
    struct Batch {
        var starts: [[UInt64]]
        var records: [[Item]]
        /// Flows still open at the end of input, finished in the worker's id order.
        var finals: [[Item]]
        var progress: [UInt64]
        var done: [Bool]
    }

    /// A finished flow on its way from a worker to the report: its text as the worker
    /// rendered it, or its records behind a reference (so handing it through the queues
    /// copies a pointer, not the records; they are moved out when delivered, never copied).
    struct Item: @unchecked Sendable {
        let local: UInt64
        let records: Records?
        var rendered: RenderedFlow?
        init(_ local: UInt64, _ record: consuming FlowRecord, _ alternate: consuming FlowRecord?) {
            self.local = local
            records = Records(record, alternate)
        }
        init(rendered: RenderedFlow) {
            local = rendered.local
            records = nil
            self.rendered = rendered
        }

        /// The flow's id in the report.
        mutating func number(_ id: UInt64) {
            records?.record?.id = id
            records?.alternate?.id = id
            rendered?.id = id
        }
    }

    final class Records {
        var record: FlowRecord?
        var alternate: FlowRecord?
        init(_ record: consuming FlowRecord, _ alternate: consuming FlowRecord?) {
            self.record = record; self.alternate = alternate
        }
    }

    /// One worker's flows numbered and not yet delivered: their final ids by the worker's
    /// own (local) ids, which are numbered in order. Recent ones are in a window indexed
    /// by local id (no hashing); once the window holds `spillAt`, its older half (flows
    /// still open long after their neighbours ended) moves to a list sorted by local id,
    /// searched by bisection. Memory follows the flows open, plus the window.
    struct OpenIDs {
        static let spillAt = 65_536
        /// Final ids (0: delivered) for local ids `base`, `base + 1`… from `window[head]`.
        private var window: [UInt64] = []
        private var head = 0
        private var base: UInt64 = 1
        /// Spilled entries, ascending by local id; a delivered one's id is 0 until the
        /// list is compacted.
        private var spilledLocal: [UInt64] = []
        private var spilledID: [UInt64] = []
        private var spilledDelivered = 0

        /// Local id `local` (the next in order) has final id `id`.
        mutating func add(_ local: UInt64, _ id: UInt64) {
            if window.count - head >= OpenIDs.spillAt {
                let half = OpenIDs.spillAt / 2
                for i in head..<(head + half) where window[i] != 0 {
                    spilledLocal.append(base + UInt64(i - head))
                    spilledID.append(window[i])
                }
                head += half
                base += UInt64(half)
                compact()
            }
            window.append(id)
        }

        mutating func take(_ local: UInt64) -> UInt64? {
            if local < base {
                guard let i = spilled(local) else { return nil }
                let id = spilledID[i]
                spilledID[i] = 0
                spilledDelivered += 1
                if spilledDelivered > 4096 && spilledDelivered * 2 > spilledID.count { compactSpilled() }
                return id
            }
            let i = head + Int(local - base)
            guard i < window.count, window[i] != 0 else { return nil }
            let id = window[i]
            window[i] = 0
            // Delivered ones at the front leave the window.
            while head < window.count && window[head] == 0 {
                head += 1
                base += 1
            }
            compact()
            return id
        }

        /// The final ids not yet taken, by ascending local id.
        func remaining() -> [UInt64] {
            var all: [UInt64] = []
            all.reserveCapacity(spilledID.count - spilledDelivered + window.count - head)
            for id in spilledID where id != 0 { all.append(id) }
            for i in head..<window.count where window[i] != 0 { all.append(window[i]) }
            return all
        }

        /// Where the last spilled id taken was: the flows still open at the end of input
        /// are taken in local id order, so the next is most often the one after it.
        private var spilledHint = 0

        /// The place of spilled local id `local` not yet delivered: after the last one
        /// taken, or found by bisection.
        private mutating func spilled(_ local: UInt64) -> Int? {
            let next = spilledHint + 1
            if next < spilledLocal.count && spilledLocal[next] == local {
                spilledHint = next
                return spilledID[next] != 0 ? next : nil
            }
            var lo = 0, hi = spilledLocal.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if spilledLocal[mid] < local { lo = mid + 1 } else { hi = mid }
            }
            guard lo < spilledLocal.count && spilledLocal[lo] == local && spilledID[lo] != 0 else { return nil }
            spilledHint = lo
            return lo
        }

        private mutating func compactSpilled() {
            var kept = 0
            for i in spilledID.indices where spilledID[i] != 0 {
                spilledLocal[kept] = spilledLocal[i]
                spilledID[kept] = spilledID[i]
                kept += 1
            }
            spilledLocal.removeLast(spilledLocal.count - kept)
            spilledID.removeLast(spilledID.count - kept)
            spilledDelivered = 0
            spilledHint = 0
        }

        private mutating func compact() {
            if head > 4096 && head * 2 > window.count {
                window.removeFirst(head)
                head = 0
            }
        }
    }

    /// The one lock: workers publish a batch every few thousand packets, the main thread
    /// takes what is there.
    final class Hub: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// Signalled when the main thread has handed on some of a shard's records.
        private let room = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        private var batch: Batch
        /// Records published and not yet handed on, per shard.
        private var out: [Int]
        /// A shard waits while it has this many records out: it is too far ahead of another
        /// shard (or of the report), and what it finished would pile up in the merge.
        let recordLimit: Int
        /// The same at the end of input (`EndPhase`): 1,024 (or `recordLimit`, if lower).
        /// There every record is a flow rendered into a block that goes back to its worker
        /// once written, and the worker writes the next flows into those blocks: with
        /// 32,768 out, a worker's blocks in circulation (about 20 MB of text) had left its
        /// cache, and each flow's text was stored into lines another core last held.
        let endLimit: Int
        private var fresh = false
        /// Worker 0's reading, for the progress line.
        let bytesRead = Atomic<Int64>(0)
        let packetsRead = Atomic<UInt64>(0)
        /// Live: the main thread asks the workers to stop capturing.
        let stopRequested = Atomic<Bool>(false)
        /// Live: workers whose capture has started.
        let started = Atomic<Int>(0)
        /// Live: each worker's packets, open flows and drops (kernel, queue), for the status
        /// line and the metrics.
        private var liveFigures: [(packets: UInt64, active: Int, kernel: UInt64, queue: UInt64)] = []

        func ready() { started.add(1, ordering: .releasing) }

        func live(_ worker: Int, packets: UInt64, active: Int, kernel: UInt64, queue: UInt64) {
            pthread_mutex_lock(mutex)
            liveFigures[worker] = (packets, active, kernel, queue)
            pthread_mutex_unlock(mutex)
        }

        /// Live totals over the workers: packets, open flows, drops by the kernel and by
        /// the queues. Kernel drops are summed where each handle has its own share
        /// (`kernelShares`), and the largest is taken where every handle reads everything.
        func liveTotals(kernelShares: Bool) -> (packets: UInt64, active: Int, kernel: UInt64, queue: UInt64) {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return liveFigures.reduce((0, 0, 0, 0)) {
                ($0.0 + $1.packets, $0.1 + $1.active, kernelShares ? $0.2 + $1.kernel : max($0.2, $1.kernel), $0.3 + $1.queue)
            }
        }

        /// `recordLimit`: 32,768, or `DEMARC_MERGE_LIMIT` (tests set a few dozen, so that
        /// shards and the end of input wait for the main thread all the time).
        init(workers: Int, wakeAt: Int = 1,
             recordLimit: Int = getenv("DEMARC_MERGE_LIMIT").map { max(1, Int(atoi($0))) } ?? 32_768) {
            self.wakeAt = wakeAt
            self.recordLimit = recordLimit
            endLimit = min(recordLimit, 1024)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(cond, nil)
            pthread_cond_init(room, nil)
            batch = Batch(starts: Array(repeating: [], count: workers), records: Array(repeating: [], count: workers),
                          finals: Array(repeating: [], count: workers),
                          progress: Array(repeating: 0, count: workers), done: Array(repeating: false, count: workers))
            out = Array(repeating: 0, count: workers)
            liveFigures = Array(repeating: (0, 0, 0, 0), count: workers)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            pthread_cond_destroy(cond)
            pthread_cond_destroy(room)
            mutex.deallocate()
            cond.deallocate()
            room.deallocate()
        }

        /// A shard's batch in. Its progress counts at once (another shard's records may wait
        /// for it); then, while the shard has `recordLimit` records out, it waits for the
        /// main thread to hand some on (unless `wait` is false).
        /// `toFree` (empty) comes back with the shard's written blocks, for it to reuse or free.
        func publish(_ worker: Int, starts: inout [UInt64], records: inout [Item],
                     progress: UInt64, done: Bool, wait: Bool = true, toFree: inout [UnsafeMutableRawPointer]) {
            pthread_mutex_lock(mutex)
            takeReturned(worker, into: &toFree)
            batch.starts[worker].append(contentsOf: starts)
            batch.records[worker].append(contentsOf: records)
            out[worker] += records.count
            batch.progress[worker] = progress
            batch.done[worker] = done
            nudge(starts.count + records.count, now: done)
            if wait && !done { awaitRoom(worker, limit: recordLimit) { true } }
            pthread_mutex_unlock(mutex)
            starts.removeAll(keepingCapacity: true)
            records.removeAll(keepingCapacity: true)
            site?.step()
        }

        /// Replay: the merge, run by the thread that publishes (`MergeSite`); nil where the
        /// main thread merges (live capture).
        @exclusivity(unchecked) var site: MergeSite?

        /// Whether something was published since the merge last took a batch.
        var hasFresh: Bool {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return fresh
        }

        /// The merge (`MergeSite`): what the workers published since the last call, swapped
        /// into `into` (whose lists must be empty); false if nothing is new.
        func takeFresh(into b: inout Batch) -> Bool {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            guard fresh else { return false }
            for i in batch.starts.indices {
                swap(&batch.starts[i], &b.starts[i])
                swap(&batch.records[i], &b.records[i])
                swap(&batch.finals[i], &b.finals[i])
            }
            b.progress = batch.progress
            b.done = batch.done
            fresh = false
            unseen = 0
            return true
        }

        /// The main thread: the merge may make shards wait for room from now on.
        func startMerging() {
            pthread_mutex_lock(mutex)
            merging = true
            pthread_mutex_unlock(mutex)
        }

        /// Something new for the main thread (`items` more starts and records): it is woken
        /// once `wakeAt` have come since it last took a batch, or `now` (a shard is done,
        /// or is about to wait for the main thread). Otherwise it finds them when it next
        /// wakes (at the latest after `take`'s wait): on a machine with as many cores as
        /// workers, every wake-up of the main thread takes a core from a worker.
        /// Called holding the lock.
        /// While a shard waits for room, every publication wakes the main thread: the
        /// records it needs to hand some on may be any shard's.
        @inline(__always)
        private func nudge(_ items: Int, now: Bool) {
            fresh = true
            unseen += items
            if site == nil && (now || unseen >= wakeAt || roomWaiters > 0) { pthread_cond_signal(cond) }
        }

        /// While shard `worker` has `recordLimit` records out and `more()` holds, and only
        /// while the main thread merges (a worker run on the main thread, where its own
        /// could not be made, comes before the merge and must not wait for it): waits for
        /// the main thread to hand records on, waking it each time. Called holding the lock.
        private func awaitRoom(_ worker: Int, limit: Int, while more: () -> Bool) {
            guard merging else { return }
            roomWaiters += 1
            while out[worker] >= limit && more() {
                if let site {
                    // This thread merges, unless another one is: that one hands records
                    // on (and wakes this one) or finds this one's publication after it.
                    // A handing on while the lock was let go broadcast `room` before
                    // this thread waited: it looks again instead of waiting for the next.
                    let seen = handings
                    pthread_mutex_unlock(mutex)
                    let stepped = site.step()
                    pthread_mutex_lock(mutex)
                    if stepped || handings != seen { continue }
                } else {
                    pthread_cond_signal(cond)
                }
                pthread_cond_wait(room, mutex)
            }
            roomWaiters -= 1
        }

        /// Starts and records published since the main thread's last `take`.
        private var unseen = 0
        /// Shards (or end-of-input threads) waiting for room.
        private var roomWaiters = 0
        /// The main thread has begun to merge (`take` is called).
        private var merging = false
        /// A count of the main thread's handings on, so a thread waiting for room in one
        /// shard can go back and choose again after each.
        private var handings = 0
        /// How many wake the main thread (1: every publication, as live monitoring's
        /// reporting each flow as it ends needs).
        let wakeAt: Int

        /// Records of shard `worker` published and not yet handed on.
        func outstanding(_ worker: Int) -> Int {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return merging ? out[worker] : 0
        }

        /// End of input (`EndPhase`): records of shard `worker`'s open flows, the next in
        /// its id order, laid out by whichever worker's thread took them. Never waits (see
        /// `waitForRoom`); `done` with the shard's last.
        func publishFinals(_ worker: Int, _ items: inout [Item], done: Bool) {
            pthread_mutex_lock(mutex)
            batch.finals[worker].append(contentsOf: items)
            out[worker] += items.count
            if done { batch.done[worker] = true }
            nudge(items.count, now: done)
            pthread_mutex_unlock(mutex)
            items.removeAll(keepingCapacity: true)
            site?.step()
        }

        /// Waits while shard `worker` has `recordLimit` records out (the main thread hands
        /// them on in order, once the records before them have come), until the main
        /// thread next hands records on: the caller then chooses again what to do.
        func waitForRoom(_ worker: Int) {
            pthread_mutex_lock(mutex)
            let since = handings
            awaitRoom(worker, limit: endLimit) { handings == since }
            pthread_mutex_unlock(mutex)
        }

        /// Blocks of rendered flows written, by the shard that allocated them: each shard
        /// frees its own as it publishes (see `Analysis.spent`).
        private var returned: [[UnsafeMutableRawPointer]] = []

        /// The main thread: blocks for their shards to free; `lists` comes back empty.
        func giveBack(_ lists: inout [[UnsafeMutableRawPointer]]) {
            pthread_mutex_lock(mutex)
            if returned.isEmpty { returned = Array(repeating: [], count: lists.count) }
            for w in lists.indices where !lists[w].isEmpty {
                if returned[w].isEmpty { swap(&returned[w], &lists[w]) } else { returned[w].append(contentsOf: lists[w]) }
            }
            pthread_mutex_unlock(mutex)
            for w in lists.indices { lists[w].removeAll(keepingCapacity: true) }
        }

        /// Shard `worker`'s written blocks, for it to reuse or free (`into` must be empty).
        func takeBack(_ worker: Int, into list: inout [UnsafeMutableRawPointer]) {
            pthread_mutex_lock(mutex)
            takeReturned(worker, into: &list)
            pthread_mutex_unlock(mutex)
        }

        /// Shard `worker`'s blocks, taken (swapped with `into`, which must be empty).
        private func takeReturned(_ worker: Int, into list: inout [UnsafeMutableRawPointer]) {
            guard worker < returned.count, !returned[worker].isEmpty else { return }
            swap(&returned[worker], &list)
        }

        /// The shards are gone: what they did not free is freed here.
        func freeReturned() {
            for list in returned { for b in list { b.deallocate() } }
            returned = []
        }

        /// The main thread handed on `counts[w]` of shard `w`'s records.
        func handedOn(_ counts: [Int]) {
            guard counts.contains(where: { $0 > 0 }) else { return }
            pthread_mutex_lock(mutex)
            for (w, n) in counts.enumerated() { out[w] -= n }
            handings &+= 1
            pthread_cond_broadcast(room)
            pthread_mutex_unlock(mutex)
        }

        /// What the workers published since the last call, waiting up to `waitMicros`
        /// for something new.
        func take(waitMicros: Int64) -> Batch {
            pthread_mutex_lock(mutex)
            merging = true
            if !fresh {
                var ts = Workers.deadline(micros: waitMicros)
                while !fresh {
                    if pthread_cond_timedwait(cond, mutex, &ts) == ETIMEDOUT { break }
                }
            }
            let out = batch
            for i in batch.starts.indices {
                batch.starts[i].removeAll(keepingCapacity: true)
                batch.records[i].removeAll(keepingCapacity: true)
                batch.finals[i].removeAll(keepingCapacity: true)
            }
            fresh = false
            unseen = 0
            pthread_mutex_unlock(mutex)
            return out
        }
    }

    /// The time `micros` from now, for pthread_cond_timedwait(3).
    static func deadline(micros: Int64) -> timespec {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let ns = Int64(ts.tv_nsec) + micros * 1000
        ts.tv_sec += Int(ns / 1_000_000_000)
        ts.tv_nsec = Int(ns % 1_000_000_000)
        return ts
    }

    /// Replay's merge, run by whichever thread has just published (a worker, or the main
    /// thread for the progress line), one thread at a time: the main thread is not a third
    /// thread to wake on a machine with as many cores as workers, and a worker waiting for
    /// room in the merge makes it itself. A thread that finds another one merging leaves
    /// its publication to it: that one looks again for anything new once it has let go.
    final class MergeSite: @unchecked Sendable {
        /// Held while merging (taken only by `step`, which looks for anything new after
        /// letting go of it).
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        /// The main thread's wait for the end, under a lock of its own.
        private let endLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let over = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        private unowned(unsafe) let hub: Hub
        private unowned(unsafe) let analysis: Analysis
        private var merger: Merger
        private var batch: Batch
        private var spent: [[UnsafeMutableRawPointer]]
        /// Every worker is done and every record out.
        private let finished = Atomic<Bool>(false)
        /// The flows numbered so far, for the progress line.
        private let numberedSoFar = Atomic<UInt64>(0)

        init(hub: Hub, workers: Int, analysis: Analysis) {
            self.hub = hub
            self.analysis = analysis
            merger = Merger(workers: workers)
            batch = Batch(starts: Array(repeating: [], count: workers), records: Array(repeating: [], count: workers),
                          finals: Array(repeating: [], count: workers),
                          progress: Array(repeating: 0, count: workers), done: Array(repeating: false, count: workers))
            spent = Array(repeating: [], count: workers)
            pthread_mutex_init(lock, nil)
            pthread_mutex_init(endLock, nil)
            pthread_cond_init(over, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            pthread_mutex_destroy(endLock)
            pthread_cond_destroy(over)
            lock.deallocate()
            endLock.deallocate()
            over.deallocate()
        }

        /// Takes in what was published, holding the lock, until nothing new is left or
        /// the merge is over; returns whether anything came, and whether it is over.
        private func absorbFresh() -> (took: Bool, done: Bool) {
            var took = false
            var done = finished.load(ordering: .relaxed)
            while !done && hub.takeFresh(into: &batch) {
                took = true
                done = merger.absorb(batch, hub: hub) { item in
                    if let r = item.rendered {
                        analysis.deliver(rendered: r)
                    } else if let records = item.records {
                        analysis.deliver(records.record.take()!, second: records.alternate.take())
                    }
                }
                for i in batch.starts.indices {
                    batch.starts[i].removeAll(keepingCapacity: true)
                    batch.records[i].removeAll(keepingCapacity: true)
                    batch.finals[i].removeAll(keepingCapacity: true)
                }
                if analysis.takeSpent(into: &spent) { hub.giveBack(&spent) }
            }
            return (took, done)
        }

        /// The end of input (`EndPhase`): what was published taken in, then the final ids
        /// of the flows each worker still has open (`Merger.finalIDs`), or nil.
        func finalIDs(_ open: [Int]) -> [[UInt64]]? {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            let (_, done) = absorbFresh()
            numberedSoFar.store(merger.numbered, ordering: .relaxed)
            return done ? nil : merger.finalIDs(open)
        }

        /// Runs `body` (which writes to the report) while no other thread merges.
        func exclusively(_ body: () -> Void) {
            pthread_mutex_lock(lock)
            body()
            pthread_mutex_unlock(lock)
        }

        /// Merges what was published, until nothing new is left, if no other thread is
        /// merging; returns whether this thread took anything in.
        @discardableResult
        func step() -> Bool {
            var took = false
            while pthread_mutex_trylock(lock) == 0 {
                let (tookNow, done) = absorbFresh()
                took = took || tookNow
                numberedSoFar.store(merger.numbered, ordering: .relaxed)
                if done { finished.store(true, ordering: .releasing) }
                pthread_mutex_unlock(lock)
                if done {
                    pthread_mutex_lock(endLock)
                    pthread_cond_broadcast(over)
                    pthread_mutex_unlock(endLock)
                    break
                }
                // Published while this thread held the lock, after its last look.
                if !hub.hasFresh { break }
            }
            return took
        }

        /// The main thread: waits up to `micros` for the merge to finish (merging anything
        /// left first); returns whether it has.
        func waitFinished(micros: Int64) -> Bool {
            step()
            pthread_mutex_lock(endLock)
            defer { pthread_mutex_unlock(endLock) }
            if !finished.load(ordering: .acquiring) {
                var ts = Workers.deadline(micros: micros)
                while !finished.load(ordering: .acquiring) {
                    if pthread_cond_timedwait(over, endLock, &ts) == ETIMEDOUT { break }
                }
            }
            return finished.load(ordering: .acquiring)
        }

        /// The flows numbered so far, for the progress line.
        var numbered: UInt64 { numberedSoFar.load(ordering: .relaxed) }
    }

    /// Numbers flows across workers in the order of their first packets (what one
    /// tracker's ids are), then hands each record on with its number. Records of flows
    /// that ended during the input go on as they come (the reorder buffer orders them);
    /// those still open at its end go in id order across workers, as one tracker's
    /// `finishAll` gives them.
    struct Merger {
        private var starts: [[UInt64]]
        private var heads: [Int]
        /// Per shard: how many of its flows are numbered, and the final ids of those whose
        /// record has not come yet (by the shard's own id), so the map holds open flows only.
        private var numberedCount: [UInt64]
        private var ids: [OpenIDs]
        private var waiting: [[Item]]
        private var finals: [[Item]]
        private var finalHeads: [Int]
        /// The id of each worker's final record at its head, once looked up (0: not yet).
        private var finalHeadIDs: [UInt64]
        private var progress: [UInt64]
        private var done: [Bool]
        private(set) var numbered: UInt64 = 0
        /// Live capture: handles may drop different packets, so their packet numbers are
        /// not one sequence; flows are numbered as their starts arrive, without waiting.
        var waitsForEveryWorker = true

        init(workers: Int) {
            starts = Array(repeating: [], count: workers)
            heads = Array(repeating: 0, count: workers)
            numberedCount = Array(repeating: 0, count: workers)
            ids = Array(repeating: OpenIDs(), count: workers)
            waiting = Array(repeating: [], count: workers)
            finals = Array(repeating: [], count: workers)
            finalHeads = Array(repeating: 0, count: workers)
            finalHeadIDs = Array(repeating: 0, count: workers)
            progress = Array(repeating: 0, count: workers)
            done = Array(repeating: false, count: workers)
        }

        /// Takes a batch in; returns true once every worker is done and every record out.
        mutating func absorb(_ b: Batch, hub: Hub, deliver: (Item) -> Void) -> Bool {
            var handed = Array(repeating: 0, count: starts.count)
            for w in starts.indices {
                starts[w].append(contentsOf: b.starts[w])
                waiting[w].append(contentsOf: b.records[w])
                finals[w].append(contentsOf: b.finals[w])
                progress[w] = max(progress[w], b.progress[w])
                done[w] = done[w] || b.done[w]
            }
            number()
            for w in waiting.indices where !waiting[w].isEmpty {
                let known = numberedCount[w]
                var kept: [Item] = []
                let items = waiting[w]
                for i in items.indices {
                    // The text of the flow two ahead, which its worker's core wrote, is
                    // asked for while this one is copied out.
                    if i + 2 < items.count, let ahead = items[i + 2].rendered { ahead.prefetch() }
                    var item = items[i]
                    guard item.local <= known, let id = ids[w].take(item.local) else { kept.append(item); continue }
                    item.number(id)
                    handed[w] += 1
                    deliver(item)
                }
                waiting[w] = kept
            }
            for w in starts.indices where heads[w] > 4096 && heads[w] * 2 > starts[w].count {
                starts[w].removeFirst(heads[w])
                heads[w] = 0
            }
            mergeFinals(handed: &handed, deliver: deliver)
            hub.handedOn(handed)
            return done.allSatisfy { $0 } && waiting.allSatisfy(\.isEmpty)
                && starts.indices.allSatisfy { heads[$0] == starts[$0].count && finalHeads[$0] == finals[$0].count }
        }

        /// The flows open at the end of input, lowest id first across workers: only once
        /// every worker has read everything (and every start is numbered), and only while
        /// each worker not yet done has one waiting (its next could be lower).
        private mutating func mergeFinals(handed: inout [Int], deliver: (Item) -> Void) {
            guard progress.allSatisfy({ $0 == .max }), waiting.allSatisfy(\.isEmpty),
                  starts.indices.allSatisfy({ heads[$0] == starts[$0].count }) else { return }
            while true {
                var best = -1
                var bestID = UInt64.max
                var blocked = false
                for w in finals.indices {
                    if finalHeads[w] < finals[w].count {
                        // Each head's id is looked up (and taken from the map) once.
                        if finalHeadIDs[w] == 0 { finalHeadIDs[w] = ids[w].take(finals[w][finalHeads[w]].local)! }
                        if finalHeadIDs[w] < bestID { bestID = finalHeadIDs[w]; best = w }
                    } else if !done[w] {
                        blocked = true
                    }
                }
                guard best >= 0, !blocked else { break }
                var item = finals[best][finalHeads[best]]
                finalHeads[best] += 1
                if finalHeads[best] < finals[best].count, let next = finals[best][finalHeads[best]].rendered { next.prefetch() }
                finalHeadIDs[best] = 0
                handed[best] += 1
                item.number(bestID)
                deliver(item)
            }
            for w in finals.indices {
                if finalHeads[w] > 4096 && finalHeads[w] * 2 > finals[w].count {
                    finals[w].removeFirst(finalHeads[w])
                    finalHeads[w] = 0
                }
            }
        }

        /// The end of input, where every worker renders its open flows with their final
        /// ids (`EndPhase`): once every worker has read everything, every start is
        /// numbered and every record before the end is handed on, the final ids of the
        /// flows each worker still has open (`open[w]` of them), in its id order; they are
        /// then taken. Nil (and nothing taken) before that, or if the flows numbered and
        /// not handed on are not as many.
        mutating func finalIDs(_ open: [Int]) -> [[UInt64]]? {
            guard progress.allSatisfy({ $0 == .max }), waiting.allSatisfy(\.isEmpty), finals.allSatisfy(\.isEmpty),
                  starts.indices.allSatisfy({ heads[$0] == starts[$0].count }), open.count == ids.count else { return nil }
            let all = ids.map { $0.remaining() }
            guard all.map(\.count) == open else { return nil }
            for w in ids.indices { ids[w] = OpenIDs() }
            return all
        }

        /// Gives ids to flow starts while no worker can still report an earlier one.
        private mutating func number() {
            while true {
                var best = -1
                var bestAt = UInt64.max
                for w in starts.indices where heads[w] < starts[w].count && starts[w][heads[w]] < bestAt {
                    best = w
                    bestAt = starts[w][heads[w]]
                }
                guard best >= 0 else { return }
                // Every other worker must have read past this packet (or be done): it has
                // then published any flow it started before it.
                for w in starts.indices where waitsForEveryWorker && w != best && heads[w] == starts[w].count && progress[w] < bestAt {
                    return
                }
                numbered += 1
                numberedCount[best] += 1
                ids[best].add(numberedCount[best], numbered)
                heads[best] += 1
            }
        }
    }

}
