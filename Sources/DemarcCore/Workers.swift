import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcInspect
import DemarcFlows
import DemarcScenario
import DemarcReport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `--workers N`: a replay split over N threads, as Suricata's workers and Zeek's cluster
/// split traffic. Every worker reads the captures itself (reading is cheap next to
/// analysis) and keeps the packets whose address pair hashes to it: fragments, which
/// carry no ports after the first, and tunnelled packets, keyed by their inner addresses,
/// land with their flow. Each worker has its own flow table, inspectors and certificate
/// cache, and makes its flows' records; nothing on the packet path is shared or locked.
///
/// The report is the one `--workers 1` writes. Every worker sees every packet's time, so
/// flows expire at the same packets; the main thread numbers flows in the order of their
/// first packets across workers (each worker tells where its flows began) and puts the
/// records through the same reorder buffer. `active_flows_peak` is the sum of the
/// workers' peaks.
enum Workers {
    /// The worker that keeps a packet: a hash of its two addresses, the same both ways.
    @inline(__always)
    static func shard(_ p: DecodedPacket, of count: Int) -> Int { shard(p.src, p.dst, of: count) }

    @inline(__always)
    static func shard(_ src: IPAddress, _ dst: IPAddress, of count: Int) -> Int {
        let x = (src.hi ^ src.lo) &+ (dst.hi ^ dst.lo)
        let h = (x ^ (x >> 29)) &* 0x9E37_79B9_7F4A_7C15
        return Int((h >> 32) % UInt64(count))
    }

    /// One packet in a worker: decoded, then tracked if it hashes to this worker (else
    /// only its time is taken); counted in `stats` if it is this worker's, or if it is
    /// not IP and this is the lead worker (worker 0), so the workers' counts add up.
    @inline(__always)
    static func route(_ frame: UnsafeRawBufferPointer, _ wireLength: Int, _ ts: Int64, number: UInt64, mine: Int, of workers: Int,
                      lead: Bool, decoder: PacketDecoder, decoded: inout DecodedPacket, tracker: FlowTracker,
                      stats: inout InputStats, starts: inout [UInt64]) {
        // A plain IPv4 frame's worker is known from its addresses alone: another worker's is
        // not decoded, and this worker's decodes as IP with those addresses.
        let outcome: DecodeOutcome
        if let a = decoder.plainIPv4Addresses(frame) {
            guard shard(IPAddress(v4: a.src), IPAddress(v4: a.dst), of: workers) == mine else { tracker.advance(to: ts); return }
            outcome = decoder.decode(frame, into: &decoded)
        } else {
            outcome = decoder.decode(frame, into: &decoded)
            if outcome == .ip {
                guard shard(decoded, of: workers) == mine else { tracker.advance(to: ts); return }
            } else if !lead {
                return
            }
        }
        stats.packets += 1
        stats.bytes += UInt64(wireLength)
        switch outcome {
        case .ip:
            let before = tracker.flowsStarted
            tracker.track(decoded, frame: frame, wireLength: wireLength, timestamp: ts)
            if tracker.flowsStarted != before { starts.append(number) }
        case .notIP: stats.nonIP += 1
        case .undecodable: stats.undecoded += 1
        case .linkEncrypted: stats.linkEncrypted += 1
        }
    }

    /// Reads the captures with `count` workers into `analysis`. Returns the first input
    /// error, as `Replay.read` does.
    static func read(_ plans: [Replay.Plan], filter: FilterPrograms?, count: Int, into analysis: Analysis,
                     progress showProgress: Bool, warn: (String) -> Void) -> String? {
        let hub = Hub(workers: count)
        let workers = (0..<count).map {
            Worker(index: $0, count: count, plans: plans, filter: filter, hub: hub, timeouts: analysis.tracker.timeouts,
                   classifier: analysis.classifier, alternate: analysis.alternateClassifier)
        }
        let threads = start(workers) { $0.run() }
        let progress = showProgress ? Progress(totalBytes: plans.reduce(0) { $0 + ($1.size ?? 0) }) : nil
        var merger = Merger(workers: count)
        while true {
            let batch = hub.take(waitMicros: 200_000)
            let finished = merger.absorb(batch, hub: hub) { item in analysis.deliver(item.record, alternate: item.alternate) }
            progress?.update(bytes: hub.bytesRead.load(ordering: .relaxed), packets: hub.packetsRead.load(ordering: .relaxed),
                             flows: merger.numbered)
            if finished { break }
        }
        for t in threads { pthread_join(t, nil) }
        progress?.clear()

        // The inputs: the workers' counts summed; how each file ended, from worker 0
        // (every worker read the same bytes).
        var inputError: String?
        let lead = workers[0]
        for (i, outcome) in lead.outcomes.enumerated() {
            var stats = outcome.stats
            for w in workers.dropFirst() {
                let o = w.outcomes[i].stats
                stats.packets += o.packets
                stats.bytes += o.bytes
            }
            if let e = outcome.openError {
                inputError = inputError ?? e
                warn(e)
            }
            Replay.countSkipped(outcome.skipped, &stats, warn: warn)
            if let e = Replay.ended(outcome.status, &stats, warn: warn) { inputError = inputError ?? e }
            if outcome.opened && !PacketDecoder.supports(outcome.linkType) {
                warn("\(stats.name): link type \(stats.linkType) is not decoded; its packets count as undecoded")
            }
            analysis.addInput(stats)
        }
        analysis.peakFromWorkers = workers.reduce(0) { $0 + UInt64($1.tracker.table.peakCount) }
        return inputError
    }

    /// What a live worker opens.
    struct Live: @unchecked Sendable {
        var interface: String
        var snaplen: Int32
        var promiscuous: Bool
        var bufferMB: Int32
        var filter: String?
        var wallClock: () -> Int64
        /// Fleet metrics: each worker counts its own open flows' growth about once a second.
        var observer: (any LiveObserver)?
    }

    /// Starts `count` threads running `body` on each worker; returns them to join.
    private static func start(_ workers: [Worker], _ body: @escaping @Sendable (Worker) -> Void) -> [pthread_t] {
        var threads: [pthread_t] = []
        for w in workers {
            var t = pthread_t()
            let box = Unmanaged.passRetained(Box(w, body)).toOpaque()
            let rc = pthread_create(&t, nil, { arg in
                let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
                b.body(b.worker)
                return nil
            }, box)
            if rc != 0 {
                Unmanaged<Box>.fromOpaque(box).release()
                body(w)   // no thread: the worker runs here (still correct, not parallel)
            } else {
                threads.append(t)
            }
        }
        return threads
    }

    private final class Box: @unchecked Sendable {
        let worker: Worker
        let body: @Sendable (Worker) -> Void
        init(_ w: Worker, _ b: @escaping @Sendable (Worker) -> Void) { worker = w; body = b }
    }

    /// `monitor --workers N`: N handles on the interface, each worker keeping its share;
    /// flows reported as they end. Returns the interface's stats (summed) and why
    /// capturing failed, if it did. `tick` runs on this thread about every 100 ms with
    /// the live totals and says whether to stop.
    static func monitor(_ live: Live, count: Int, into analysis: Analysis,
                        tick: ((packets: UInt64, active: Int, kernel: UInt64, queue: UInt64)) -> Bool,
                        onStarted: () -> Void, warn: (String) -> Void) -> (InputStats, failure: String?) {
        let hub = Hub(workers: count)
        let workers = (0..<count).map {
            Worker(index: $0, count: count, plans: [], filter: nil, hub: hub, timeouts: analysis.tracker.timeouts,
                   classifier: analysis.classifier, alternate: nil)
        }
        let threads = start(workers) { $0.runLive(live) }
        var merger = Merger(workers: count)
        merger.waitsForEveryWorker = false
        var announced = false
        while true {
            let batch = hub.take(waitMicros: 100_000)
            let finished = merger.absorb(batch, hub: hub) { item in analysis.deliver(item.record, alternate: nil) }
            if !announced && hub.started.load(ordering: .acquiring) == count { announced = true; onStarted() }
            if tick(hub.liveTotals()) { hub.stopRequested.store(true, ordering: .releasing) }
            if finished { break }
        }
        for t in threads { pthread_join(t, nil) }
        var stats = InputStats(kind: "interface", name: live.interface, linkType: "")
        var failure: String?
        for w in workers {
            guard let o = w.outcomes.first else { continue }
            if let e = o.openError { failure = failure ?? e; continue }
            if stats.linkType.isEmpty { stats.linkType = o.stats.linkType }
            stats.packets += o.stats.packets
            stats.bytes += o.stats.bytes
            stats.nonIP += o.stats.nonIP
            stats.undecoded += o.stats.undecoded
            stats.linkEncrypted += o.stats.linkEncrypted
            stats.dropped = (stats.dropped ?? 0) + (o.stats.dropped ?? 0)
            stats.queueDropped = (stats.queueDropped ?? 0) + (o.stats.queueDropped ?? 0)
            if let e = o.stats.error { failure = failure ?? e }
            Replay.countSkipped(o.skipped, &stats, warn: warn)
        }
        analysis.peakFromWorkers = workers.reduce(0) { $0 + UInt64($1.tracker.table.peakCount) }
        return (stats, failure)
    }

    /// How one worker's reading of one capture went.
    struct Outcome {
        var stats: InputStats
        var status: ReadStatus = .end
        var openError: String?
        var opened = false
        var linkType: Int32 = 0
        /// Records skipped for a corrupt time: worker 0's count (every worker reads them).
        var skipped = SkippedRecords()
    }

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

    /// A finished flow on its way from a worker to the report: a reference, so handing
    /// it through the queues copies a pointer, not the record.
    final class Item: @unchecked Sendable {
        let local: UInt64
        var record: FlowRecord
        var alternate: FlowRecord?
        init(_ local: UInt64, _ record: FlowRecord, _ alternate: FlowRecord?) {
            self.local = local; self.record = record; self.alternate = alternate
        }
    }

    /// The one lock: workers publish a batch every few thousand packets, the main thread
    /// takes what is there.
    final class Hub: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// Signalled when the main thread has written some of a worker's final records.
        private let room = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        private var batch: Batch
        /// Final records published and not yet written, per worker: a worker waits while
        /// it has `finalLimit` out, so the end of input streams instead of piling up.
        private var finalsOut: [Int]
        let finalLimit = 16_384
        private var fresh = false
        /// Worker 0's reading, for the progress line.
        let bytesRead = Atomic<Int64>(0)
        let packetsRead = Atomic<UInt64>(0)
        /// libpcap's filter installation shares compiled programs between workers.
        let filterLock = Mutex<Void>(())
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
        /// the queues.
        func liveTotals() -> (packets: UInt64, active: Int, kernel: UInt64, queue: UInt64) {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return liveFigures.reduce((0, 0, 0, 0)) { ($0.0 + $1.packets, $0.1 + $1.active, $0.2 + $1.kernel, $0.3 + $1.queue) }
        }

        init(workers: Int) {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(cond, nil)
            pthread_cond_init(room, nil)
            batch = Batch(starts: Array(repeating: [], count: workers), records: Array(repeating: [], count: workers),
                          finals: Array(repeating: [], count: workers),
                          progress: Array(repeating: 0, count: workers), done: Array(repeating: false, count: workers))
            finalsOut = Array(repeating: 0, count: workers)
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

        func publish(_ worker: Int, starts: inout [UInt64], records: inout [Item], finals: inout [Item],
                     progress: UInt64, done: Bool) {
            pthread_mutex_lock(mutex)
            while !finals.isEmpty && finalsOut[worker] >= finalLimit { pthread_cond_wait(room, mutex) }
            batch.starts[worker].append(contentsOf: starts)
            batch.records[worker].append(contentsOf: records)
            batch.finals[worker].append(contentsOf: finals)
            finalsOut[worker] += finals.count
            batch.progress[worker] = progress
            batch.done[worker] = done
            fresh = true
            pthread_cond_signal(cond)
            pthread_mutex_unlock(mutex)
            starts.removeAll(keepingCapacity: true)
            records.removeAll(keepingCapacity: true)
            finals.removeAll(keepingCapacity: true)
        }

        /// The main thread wrote `n` of a worker's final records.
        func written(_ worker: Int, finals n: Int) {
            guard n > 0 else { return }
            pthread_mutex_lock(mutex)
            finalsOut[worker] -= n
            pthread_cond_broadcast(room)
            pthread_mutex_unlock(mutex)
        }

        /// What the workers published since the last call, waiting up to `waitMicros`
        /// for something new.
        func take(waitMicros: Int64) -> Batch {
            pthread_mutex_lock(mutex)
            if !fresh {
                var ts = timespec()
                clock_gettime(CLOCK_REALTIME, &ts)
                let ns = Int64(ts.tv_nsec) + waitMicros * 1000
                ts.tv_sec += Int(ns / 1_000_000_000)
                ts.tv_nsec = Int(ns % 1_000_000_000)
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
            pthread_mutex_unlock(mutex)
            return out
        }
    }

    /// Numbers flows across workers in the order of their first packets (what one
    /// tracker's ids are), then hands each record on with its number. Records of flows
    /// that ended during the input go on as they come (the reorder buffer orders them);
    /// those still open at its end go in id order across workers, as one tracker's
    /// `finishAll` gives them.
    struct Merger {
        private var starts: [[UInt64]]
        private var heads: [Int]
        /// Per worker, the final id of its n-th flow (index n - 1).
        private var ids: [[UInt64]]
        private var waiting: [[Item]]
        private var finals: [[Item]]
        private var finalHeads: [Int]
        private var progress: [UInt64]
        private var done: [Bool]
        private(set) var numbered: UInt64 = 0
        /// Live capture: handles may drop different packets, so their packet numbers are
        /// not one sequence; flows are numbered as their starts arrive, without waiting.
        var waitsForEveryWorker = true

        init(workers: Int) {
            starts = Array(repeating: [], count: workers)
            heads = Array(repeating: 0, count: workers)
            ids = Array(repeating: [], count: workers)
            waiting = Array(repeating: [], count: workers)
            finals = Array(repeating: [], count: workers)
            finalHeads = Array(repeating: 0, count: workers)
            progress = Array(repeating: 0, count: workers)
            done = Array(repeating: false, count: workers)
        }

        /// Takes a batch in; returns true once every worker is done and every record out.
        mutating func absorb(_ b: Batch, hub: Hub, deliver: (Item) -> Void) -> Bool {
            for w in starts.indices {
                starts[w].append(contentsOf: b.starts[w])
                waiting[w].append(contentsOf: b.records[w])
                finals[w].append(contentsOf: b.finals[w])
                progress[w] = max(progress[w], b.progress[w])
                done[w] = done[w] || b.done[w]
            }
            number()
            for w in waiting.indices where !waiting[w].isEmpty {
                let known = UInt64(ids[w].count)
                var kept: [Item] = []
                for item in waiting[w] {
                    guard item.local <= known else { kept.append(item); continue }
                    let id = ids[w][Int(item.local - 1)]
                    item.record.id = id
                    item.alternate?.id = id
                    deliver(item)
                }
                waiting[w] = kept
            }
            for w in starts.indices where heads[w] > 4096 && heads[w] * 2 > starts[w].count {
                starts[w].removeFirst(heads[w])
                heads[w] = 0
            }
            mergeFinals(hub: hub, deliver: deliver)
            return done.allSatisfy { $0 } && waiting.allSatisfy(\.isEmpty)
                && starts.indices.allSatisfy { heads[$0] == starts[$0].count && finalHeads[$0] == finals[$0].count }
        }

        /// The flows open at the end of input, lowest id first across workers: only once
        /// every worker has read everything (and every start is numbered), and only while
        /// each worker not yet done has one waiting (its next could be lower).
        private mutating func mergeFinals(hub: Hub, deliver: (Item) -> Void) {
            guard progress.allSatisfy({ $0 == .max }), waiting.allSatisfy(\.isEmpty),
                  starts.indices.allSatisfy({ heads[$0] == starts[$0].count }) else { return }
            var used = Array(repeating: 0, count: finals.count)
            while true {
                var best = -1
                var bestID = UInt64.max
                var blocked = false
                for w in finals.indices {
                    if finalHeads[w] < finals[w].count {
                        let id = ids[w][Int(finals[w][finalHeads[w]].local - 1)]
                        if id < bestID { bestID = id; best = w }
                    } else if !done[w] {
                        blocked = true
                    }
                }
                guard best >= 0, !blocked else { break }
                let item = finals[best][finalHeads[best]]
                finalHeads[best] += 1
                used[best] += 1
                item.record.id = bestID
                item.alternate?.id = bestID
                deliver(item)
            }
            for w in finals.indices {
                hub.written(w, finals: used[w])
                if finalHeads[w] > 4096 && finalHeads[w] * 2 > finals[w].count {
                    finals[w].removeFirst(finalHeads[w])
                    finalHeads[w] = 0
                }
            }
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
                ids[best].append(numbered)
                heads[best] += 1
            }
        }
    }

    /// One worker: its own tracker over the packets that hash to it.
    final class Worker: @unchecked Sendable {
        let index: Int
        let count: Int
        let plans: [Replay.Plan]
        let filter: FilterPrograms?
        let hub: Hub
        let tracker: FlowTracker
        let classifier: Classifier
        let alternate: Classifier?
        private(set) var outcomes: [Outcome] = []
        // This worker's own thread alone touches these, once per packet: no dynamic
        // exclusivity checks.
        @exclusivity(unchecked) private var starts: [UInt64] = []
        @exclusivity(unchecked) private var records: [Item] = []
        @exclusivity(unchecked) private var finals: [Item] = []
        /// Reading is over: finished flows are final records (see Merger).
        @exclusivity(unchecked) private var ending = false
        /// Packets read so far, over every capture: the same numbering in every worker.
        @exclusivity(unchecked) private var packetNumber: UInt64 = 0

        init(index: Int, count: Int, plans: [Replay.Plan], filter: FilterPrograms?, hub: Hub, timeouts: FlowTimeouts,
             classifier: Classifier, alternate: Classifier?) {
            self.index = index
            self.count = count
            self.plans = plans
            self.filter = filter
            self.hub = hub
            self.tracker = FlowTracker(timeouts: timeouts.sharing(among: count))
            self.classifier = classifier
            self.alternate = alternate
            tracker.onFinish = { [unowned self] f, details, reason in
                let r = FlowRecord(flow: f.pointee, details: details, classifier: self.classifier, reason: reason)
                let a = self.alternate.map { FlowRecord(flow: f.pointee, details: details, classifier: $0, reason: reason) }
                if self.ending {
                    self.finals.append(Item(f.pointee.id, r, a))
                    if self.finals.count >= 1024 { self.publish(progress: .max, done: false) }
                } else {
                    self.records.append(Item(f.pointee.id, r, a))
                }
            }
        }

        func run() {
            var doneBytes: Int64 = 0
            for (i, plan) in plans.enumerated() {
                // One worker asks for the next file ahead; the others read the same cache.
                if index == 0, i + 1 < plans.count { PcapSource.readAhead(plans[i + 1].path) }
                var outcome = Outcome(stats: InputStats(kind: "file", name: plan.path, linkType: ""))
                let source: PcapSource
                do {
                    source = try PcapSource(file: plan.path)
                    try hub.filterLock.withLock { _ in try filter?.apply(to: source) }
                } catch {
                    outcome.openError = (error as? DemarcError)?.description ?? "\(plan.path): \(error)"
                    outcome.stats.error = outcome.openError
                    outcomes.append(outcome)
                    continue
                }
                outcome.opened = true
                outcome.linkType = source.linkType
                outcome.stats = InputStats(kind: "file", name: source.name, linkType: source.linkTypeName)
                outcome.status = read(source, &outcome.stats, doneBytes: doneBytes)
                if index == 0 { outcome.skipped = source.badTimestamps }
                doneBytes += source.fileSize ?? 0
                outcomes.append(outcome)
            }
            publish(progress: .max, done: false)
            ending = true
            tracker.finishAll()
            publish(progress: .max, done: true)
        }

        /// Live: this worker's own handle on the interface (every handle sees every
        /// packet; each worker keeps its share), its own capture thread and ring.
        func runLive(_ live: Live) {
            var stats = InputStats(kind: "interface", name: live.interface, linkType: "")
            let source: PcapSource
            do {
                source = try PcapSource(interface: live.interface, snaplen: live.snaplen, promiscuous: live.promiscuous,
                                        bufferMB: live.bufferMB)
                if let f = live.filter { try source.setFilter(f) }
            } catch {
                outcomes.append(Outcome(stats: stats, openError: "\(error)"))
                publish(progress: .max, done: false)
                ending = true
                publish(progress: .max, done: true)
                return
            }
            stats = InputStats(kind: "interface", name: live.interface, linkType: source.linkTypeName)
            let capture = LiveCapture(source: source, ringBytes: Int(live.bufferMB) << 20)
            capture.start()
            hub.ready()
            let decoder = PacketDecoder(linkType: source.linkType)
            let tracker = self.tracker
            let lead = index == 0
            let mine = index, workers = count
            var number = packetNumber
            var decoded = DecodedPacket()
            var newStarts: [UInt64] = []
            var stopping = false
            var lastTick = Progress.nowMicros()
            var lastExport = lastTick
            while true {
                let closed = capture.ring.isClosed
                let n = capture.ring.drain { frame, wireLength, ts in
                    number &+= 1
                    Workers.route(frame, wireLength, ts, number: number, mine: mine, of: workers, lead: lead, decoder: decoder,
                                  decoded: &decoded, tracker: tracker, stats: &stats, starts: &newStarts)
                }
                if closed { break }
                if !stopping && hub.stopRequested.load(ordering: .acquiring) {
                    stopping = true
                    capture.stop()
                }
                let now = Progress.nowMicros()
                if now - lastTick >= 100_000 || n > 4096 {
                    if now - lastTick >= 100_000 {
                        lastTick = now
                        tracker.expire(at: live.wallClock())
                    }
                    if let o = live.observer, now - lastExport >= LiveProgress.interval {
                        lastExport = now
                        LiveProgress.export(tracker, classifier: classifier, to: o)
                    }
                    packetNumber = number
                    starts.append(contentsOf: newStarts)
                    newStarts.removeAll(keepingCapacity: true)
                    hub.live(index, packets: stats.packets, active: tracker.activeFlows, kernel: capture.dropped,
                             queue: capture.ring.dropped)
                    publish(progress: number, done: false)
                }
                if n == 0 { usleep(1000) }
            }
            capture.join()
            packetNumber = number
            starts.append(contentsOf: newStarts)
            if let why = capture.failure { stats.error = why }
            stats.dropped = source.stats()?.dropped ?? capture.dropped
            stats.queueDropped = capture.ring.dropped
            outcomes.append(Outcome(stats: stats, opened: true, linkType: source.linkType,
                                    skipped: index == 0 ? source.badTimestamps : SkippedRecords()))
            publish(progress: .max, done: false)
            ending = true
            tracker.finishAll()
            publish(progress: .max, done: true)
        }

        private func publish(progress: UInt64, done: Bool) {
            hub.publish(index, starts: &starts, records: &records, finals: &finals, progress: progress, done: done)
        }

        private func read(_ source: PcapSource, _ stats: inout InputStats, doneBytes: Int64) -> ReadStatus {
            let decoder = PacketDecoder(linkType: source.linkType)
            let tracker = self.tracker
            let lead = index == 0
            var status = ReadStatus.packet
            // Locals in the packet loop, not this object's fields: the closure then
            // captures no reference it would retain and release for every packet.
            let mine = index, workers = count
            var number = packetNumber
            var decoded = DecodedPacket()
            var newStarts: [UInt64] = []
            while status == .packet {
                let (_, s) = source.next(upTo: 8192) { frame, wireLength, ts in
                    number &+= 1
                    Workers.route(frame, wireLength, ts, number: number, mine: mine, of: workers, lead: lead, decoder: decoder,
                                  decoded: &decoded, tracker: tracker, stats: &stats, starts: &newStarts)
                }
                status = s
                packetNumber = number
                starts.append(contentsOf: newStarts)
                newStarts.removeAll(keepingCapacity: true)
                publish(progress: number, done: false)
                if lead {
                    hub.bytesRead.store(doneBytes + (source.fileOffset ?? 0), ordering: .relaxed)
                    hub.packetsRead.store(number, ordering: .relaxed)
                }
            }
            return status
        }
    }
}
