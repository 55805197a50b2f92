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

/// `--workers N`: N shards, each on its own thread, as Suricata's workers and Zeek's
/// cluster split traffic. Replay: shard 0 reads the input once and hands each other shard
/// the packets whose address pair hashes to it, in batches (Dispatch.swift, Suricata's
/// autofp; a file's by reference into its read windows); or every shard reads the files
/// and keeps its own (`readsEach`).
/// Live, each shard has its own handle. Each runs the verdict stage on the flows it
/// finishes and, where the format allows, renders their text (`Analysis.makeRenderer`);
/// nothing on the packet path is shared or locked.
///
/// The report is the one `--workers 1` writes. Every shard sees every packet's time (or
/// is handed the clock with its own packets), so flows expire at the same packets; the
/// main thread numbers flows in the order of their first packets across shards (each
/// shard tells where its flows began), puts the records or their text through the same
/// reorder buffer and writes them (see Merge.swift). `active_flows_peak` is the sum of
/// the shards' peaks.
enum Workers {
    /// Reads the captures with `count` shards into `analysis`. Returns the first input
    /// error, as one shard's reading does.
    static func read(_ plans: [Replay.Plan], filter: FilterPrograms?, count: Int, into analysis: Analysis,
                     progress: Progress?, warn: (String) -> Void) -> String? {
        let hub = Hub(workers: count, wakeAt: 8192)
        let renders = analysis.rendersFlows
        if renders { analysis.keepSpent(workers: count) }
        let dispatcher = readsEach(plans) ? nil : Dispatcher(me: 0, count: count)
        let built = WorkerList(count: count)
        let endPhase = EndPhase(workers: count, hub: hub)
        let site = MergeSite(hub: hub, workers: count, analysis: analysis)
        hub.site = site
        let threads = WorkerThreads(count: count) { i in
            let w = Worker(index: i, count: count, hub: hub, endPhase: endPhase, analysis: analysis,
                           renderer: renders ? analysis.makeRenderer() : nil)
            built[i] = w
            w.read(plans, filter: filter, dispatcher: dispatcher)
        }
        hub.startMerging()
        while !site.waitFinished(micros: 200_000) {
            progress?.update(bytes: hub.bytesRead.load(ordering: .relaxed), packets: hub.packetsRead.load(ordering: .relaxed),
                             flows: site.numbered)
        }
        threads.join()
        let workers = built.all
        hub.freeReturned()
        analysis.stopKeepingSpent()

        // The inputs: the shards' counts summed; how each file ended, from shard 0 (which
        // reads them all).
        var inputError: String?
        for (i, outcome) in workers[0].outcomes.enumerated() {
            var o = outcome
            for w in workers.dropFirst() {
                let s = w.outcomes[i].stats
                o.stats.packets += s.packets
                o.stats.bytes += s.bytes
                o.stats.nonIP += s.nonIP
                o.stats.undecoded += s.undecoded
                o.stats.linkEncrypted += s.linkEncrypted
            }
            if let e = Replay.account(o, into: analysis, warn: warn) { inputError = inputError ?? e }
            Replay.warnIfUndecoded(o, warn: warn)
        }
        analysis.account(workers.map { $0.shard.tracker })
        for w in workers where w.renders { analysis.addCounts(w.counts) }
        return inputError
    }

    /// Whether every shard reads the captures itself (`DEMARC_REPLAY_READER=each`, files
    /// it can open again), or shard 0 reads them once and hands the others their frames
    /// (the default; a stream can be read only once). A classic pcap file is read in
    /// windows whose frames are handed by reference, so handing over costs a small header
    /// per frame; reading a file again costs each shard a copy of it from the page cache
    /// and a pass over every record, which measured more (docs/commands.md).
    static func readsEach(_ plans: [Replay.Plan]) -> Bool {
        guard let v = getenv("DEMARC_REPLAY_READER"), String(cString: v) == "each" else { return false }
        return plans.allSatisfy { $0.open == nil }
    }

    /// How the live workers' handles share the interface.
    enum Sharing {
        /// One AF_PACKET fanout group: the kernel hands each packet to one handle.
        case fanout(group: UInt16)
        /// Fanout refused: every handle reads every packet, each shard keeps its share.
        case fallback(why: String)

        var description: String {
            switch self {
            case .fanout(let group): "AF_PACKET fanout group \(group) (address-pair hash, defrag): the kernel hands each packet to one worker"
            case .fallback(let why): "fanout refused (\(why)): every worker reads every packet and keeps its share"
            }
        }
    }

    /// One handle per worker, joined to one AF_PACKET fanout group; where the kernel
    /// refuses (or `DEMARC_FANOUT=off` asks), fresh handles that each read everything.
    /// A handle that cannot be opened is nil (its worker opens it again and reports why).
    static func openHandles(_ live: LiveInput, count: Int) -> ([PcapSource?], Sharing) {
        // A fanout handle is read with no ring behind it (`FanoutSource`): its kernel
        // buffer is the ring's size and its own, as much as a ring handle has in all.
        var unringed = live
        unringed.bufferMB = live.bufferMB * 2
        let handles = (0..<count).map { _ in try? unringed.open() }
        var refusal: String?
        if getenv("DEMARC_FANOUT").map({ String(cString: $0) }) == "off" {
            refusal = "DEMARC_FANOUT=off"
        } else if handles.contains(where: { $0 == nil }) {
            refusal = "a handle could not be opened"
        } else {
            // The group id is this process's: another process's group is not joined.
            let group = UInt16(truncatingIfNeeded: getpid())
            for h in handles {
                if let why = h?.joinFanout(group: group) { refusal = why; break }
            }
            if refusal == nil { return (handles, .fanout(group: group)) }
        }
        // Handles already in the group would see a share only: all are opened afresh.
        return ((0..<count).map { _ in try? live.open() }, .fallback(why: refusal ?? ""))
    }

    /// `monitor --workers N`: N handles on the interface, shared by fanout (or each shard
    /// keeping its share of everything); flows reported as they end. Returns the
    /// interface's stats (summed) and why capturing failed, if it did. `tick` runs on
    /// this thread about every 100 ms with the live totals and says whether to stop.
    /// `onStarted` is told how the handles share the interface.
    ///
    /// Drops: with fanout, each handle's counts are of its own share, so they are summed.
    /// In the fallback every handle receives every packet and drops its own choice of
    /// them (in the kernel or its ring), so no handle's count is the interface's: the
    /// ring drops are the largest handle's, and the kernel drops what the interface
    /// received (the largest handle's count) less what the workers handled and that.
    static func monitor(_ live: LiveInput, count: Int, into analysis: Analysis, wallClock: @escaping @Sendable () -> Int64,
                        observer: (any LiveObserver)?, tick: (LiveTotals) -> Bool,
                        onStarted: (Sharing) -> Void, warn: (String) -> Void) -> (InputStats, failure: String?) {
        let hub = Hub(workers: count)
        let (handles, sharing) = openHandles(live, count: count)
        let kernelShares = if case .fanout = sharing { true } else { false }
        let handoffs = kernelShares ? Handoffs(workers: count, bytes: max(1 << 20, (32 << 20) / count)) : nil
        let built = WorkerList(count: count)
        let endPhase = EndPhase(workers: count, hub: hub)
        let threads = WorkerThreads(count: count) { i in
            let w = Worker(index: i, count: count, hub: hub, endPhase: endPhase, analysis: analysis)
            if let handoffs {
                let shard: Shard = w.shard
                shard.kernelShares = true
                shard.handOff = { [unowned shard] owner, frame, wire, ts in
                    shard.handedOff += 1
                    if !handoffs.rings[owner][shard.index].push(frame, wireLength: wire, timestamp: ts) { shard.handoffDropped += 1 }
                }
            }
            built[i] = w
            w.capture(live, opened: handles[i], handoffs: handoffs, wallClock: wallClock, observer: observer)
        }
        var announced = false
        merge(hub, count: count, waitMicros: 100_000, into: analysis, live: true) { _ in
            if !announced && hub.started.load(ordering: .acquiring) == count { announced = true; onStarted(sharing) }
            if tick(hub.liveTotals(kernelShares: kernelShares)) { hub.stopRequested.store(true, ordering: .releasing) }
        }
        threads.join()
        let workers = built.all
        var stats = InputStats(kind: "interface", name: live.interface, linkType: "")
        var failure: String?
        var received: UInt64 = 0
        for w in workers {
            guard let o = w.outcomes.first else { continue }
            if let e = o.openError { failure = failure ?? e; continue }
            if stats.linkType.isEmpty { stats.linkType = o.stats.linkType }
            stats.packets += o.stats.packets
            stats.bytes += o.stats.bytes
            stats.nonIP += o.stats.nonIP
            stats.undecoded += o.stats.undecoded
            stats.linkEncrypted += o.stats.linkEncrypted
            if kernelShares {
                stats.dropped = (stats.dropped ?? 0) + (o.stats.dropped ?? 0)
                stats.queueDropped = (stats.queueDropped ?? 0) + (o.stats.queueDropped ?? 0)
            } else {
                received = max(received, o.received)
                stats.queueDropped = max(stats.queueDropped ?? 0, o.stats.queueDropped ?? 0)
            }
            if let e = o.stats.error { failure = failure ?? e }
            Replay.countSkipped(o.skipped, &stats, warn: warn)
        }
        if !kernelShares {
            let kept = stats.packets + (stats.queueDropped ?? 0)
            stats.dropped = received > kept ? received - kept : 0
        }
        analysis.account(workers.map { $0.shard.tracker })
        if kernelShares {
            let handed = workers.reduce(0) { $0 + $1.shard.handedOff }, lost = workers.reduce(0) { $0 + $1.shard.handoffDropped }
            warn("workers: \(handed) packets handed to the worker owning their flow (encapsulated: the kernel hashed other "
                 + "headers)\(lost > 0 ? ", \(lost) of them dropped with its queue full (in queue_dropped)" : "")")
        }
        return (stats, failure)
    }

    /// The main thread's part: the shards' batches through the merge into the report,
    /// until every shard is done and every record out. `between` runs after every batch.
    private static func merge(_ hub: Hub, count: Int, waitMicros: Int64, into analysis: Analysis, live: Bool = false,
                              between: (Merger) -> Void) {
        var merger = Merger(workers: count)
        var spent: [[UnsafeMutableRawPointer]] = Array(repeating: [], count: count)
        // Live capture: handles may drop different packets, so their frame numbers are not
        // one sequence; flows are numbered as their starts arrive, without waiting.
        merger.waitsForEveryWorker = !live
        while true {
            let batch = hub.take(waitMicros: waitMicros)
            let finished = merger.absorb(batch, hub: hub) { item in
                if let r = item.rendered {
                    analysis.deliver(rendered: r)
                } else if let records = item.records {
                    analysis.deliver(records.record.take()!, second: records.alternate.take())
                }
            }
            if analysis.takeSpent(into: &spent) { hub.giveBack(&spent) }
            between(merger)
            if finished { break }
        }
    }

    /// Live totals over the shards: packets, open flows, drops by the kernel and by the
    /// capture rings.
    typealias LiveTotals = (packets: UInt64, active: Int, kernel: UInt64, queue: UInt64)

    /// The workers, each put in its place by the thread that builds it, read once the
    /// threads are joined.
    final class WorkerList: @unchecked Sendable {
        private let slots: UnsafeMutableBufferPointer<Worker?>

        init(count: Int) { slots = .allocate(capacity: count); slots.initialize(repeating: nil) }
        deinit { _ = slots.deinitialize(); slots.deallocate() }

        subscript(i: Int) -> Worker? {
            get { slots[i] }
            set { slots[i] = newValue }
        }

        /// Every worker, after the threads are joined.
        var all: [Worker] { slots.map { $0! } }
    }

    /// One shard on its own thread, and what it hands the main thread: where its flows
    /// began, and their records. It is built on that thread, so that its memory (the
    /// shard, its flow table and inspectors, the classifier it judges with) comes from
    /// the thread's own allocation arena and shares no cache line with another worker's:
    /// the reference counts and counters each worker updates for every packet and flow
    /// then never bounce between cores.
    final class Worker: @unchecked Sendable {
        let index: Int
        let hub: Hub
        let endPhase: EndPhase
        let verdict: Verdict
        private unowned(unsafe) let analysis: Analysis
        private(set) var shard: Shard!
        private(set) var outcomes: [InputOutcome] = []
        // This worker's own thread alone touches these.
        @exclusivity(unchecked) private var records: [Item] = []
        /// Replay to a format that renders flows one by one: this worker renders its
        /// flows (`Analysis.makeRenderer`) and counts them in `counts`.
        private let renderer: FlowRenderer?
        var renders: Bool { renderer != nil }
        @exclusivity(unchecked) private(set) var counts = Summary()
        /// Blocks of this worker's rendered flows, written and handed back to be freed here.
        @exclusivity(unchecked) private var toFree: [UnsafeMutableRawPointer] = []

        init(index: Int, count: Int, hub: Hub, endPhase: EndPhase, analysis: Analysis, renderer: FlowRenderer? = nil) {
            self.renderer = renderer
            self.index = index
            self.hub = hub
            self.endPhase = endPhase
            self.analysis = analysis
            verdict = analysis.verdict.unshared()
            shard = Shard(index: index, of: count, timeouts: analysis.timeouts.sharing(among: count)) { [unowned(unsafe) self] f, details, reason in
                self.records.append(self.layOut(f, details, reason))
            }
        }

        /// A finished flow (this shard's, or at the end of input another's) as what the
        /// main thread takes: its text rendered here, or its records.
        @inline(__always)
        private func layOut(_ f: UnsafeMutablePointer<FlowState>, _ details: FlowDetails?, _ reason: FinishReason) -> Item {
            guard let renderer else {
                let (r, s) = analysis.judge(f, details, reason, with: verdict)
                return Item(f.pointee.id, r, s)
            }
            let r = verdict.record(f.pointee, details, reason)
            counts.addCounts(r)
            var rendered = Unmanaged.passUnretained(renderer)._withUnsafeGuaranteedRef { $0.render(r, local: f.pointee.id) }
            rendered.owner = index
            return Item(rendered: rendered)
        }

        /// Replay: shard 0 reads every capture, in order, and hands the other shards their
        /// frames (Dispatch.swift); the others take what they are handed. Each publishes
        /// after every batch. Shard 0 hands every batch on before it publishes (and may
        /// wait for the main thread), and publishes without waiting before it waits for a
        /// shard to free a batch: no shard then waits for progress that waits for it.
        func read(_ plans: [Replay.Plan], filter: FilterPrograms?, dispatcher: Dispatcher?) {
            guard let dispatcher else {
                // Every shard reads every capture itself and keeps its own frames.
                shard.readsAll = true
                outcomes = shard.read(plans, filter: filter, batch: 8192, applyFilter: { f, source in try f.apply(to: source) },
                                      afterBatch: { doneBytes, source in
                    publish(progress: shard.frameNumber, done: false)
                    if index == 0 {
                        hub.bytesRead.store(doneBytes + (source.fileOffset ?? 0), ordering: .relaxed)
                        hub.packetsRead.store(shard.frameNumber, ordering: .relaxed)
                    }
                }, ended: { _ in
                    publish(progress: shard.frameNumber, done: false)
                })
                end()
                return
            }
            if index == 0 {
                shard.dispatcher = dispatcher
                dispatcher.beforeWaiting = { [unowned self] in publish(progress: max(shard.frameNumber, 1) - 1, done: false, wait: false) }
                dispatcher.handNow = { [unowned self, unowned dispatcher] in dispatcher.handAll(through: shard.frameNumber, clock: shard.clock) }
                var input = 0
                outcomes = shard.read(plans, filter: filter, batch: 8192, applyFilter: { f, source in try f.apply(to: source) },
                                      opened: { outcome in
                    dispatcher.input = input
                    dispatcher.linkType = outcome.linkType
                }, afterBatch: { doneBytes, source in
                    dispatcher.handAll(through: shard.frameNumber, clock: shard.clock)
                    publish(progress: shard.frameNumber, done: false)
                    hub.bytesRead.store(doneBytes + (source.fileOffset ?? 0), ordering: .relaxed)
                    hub.packetsRead.store(shard.frameNumber, ordering: .relaxed)
                }, ended: { _ in
                    input += 1
                    dispatcher.handAll(through: shard.frameNumber, clock: shard.clock)
                    publish(progress: shard.frameNumber, done: false)
                })
                dispatcher.endReading()
                dispatcher.handAll(through: shard.frameNumber, clock: shard.clock, end: true)
            } else {
                // The counts of each capture (by its index), as shard 0 reads them.
                outcomes = plans.map { InputOutcome(stats: InputStats(kind: "file", name: $0.path, linkType: "")) }
                var current = -1
                shard.receiving = true
                let source = DispatchedFrames(channel: dispatcher.channels[index]!, shard: shard,
                                              readAhead: dispatcher.readAhead) { [unowned self] input, linkType in
                    if current >= 0 { outcomes[current].stats = shard.stats }
                    current = input
                    shard.begin(outcomes[input].stats, linkType: linkType)
                }
                _ = shard.read(source, batch: .max) { _ in
                    publish(progress: shard.frameNumber, done: false)
                    return true
                }
                if current >= 0 { outcomes[current].stats = shard.stats }
            }
            end()
        }

        /// Live: this shard's own handle on the interface (`opened`, or one it opens), its
        /// own capture thread and ring.
        func capture(_ live: LiveInput, opened: PcapSource?, handoffs: Handoffs?, wallClock: () -> Int64,
                     observer: (any LiveObserver)?) {
            var lastExport = Progress.nowMicros()
            let outcome = shard.capture(live, opened: opened, handoffs: handoffs, started: { hub.ready() }, stopRequested: {
                hub.stopRequested.load(ordering: .acquiring)
            }, tick: { capture, timed in
                let tracker = shard.tracker
                if timed { tracker.expire(at: wallClock()) }
                let now = Progress.nowMicros()
                if let o = observer, now - lastExport >= LiveProgress.interval {
                    lastExport = now
                    LiveProgress.export(tracker, verdict: verdict, to: o)
                }
                hub.live(index, packets: shard.stats.packets, active: tracker.activeFlows, kernel: capture.dropped,
                         queue: capture.queueDropped)
                publish(progress: shard.frameNumber, done: false)
            })
            var o = outcome
            // The capture's failure is the shard's input error; the summed input carries
            // the first one.
            if let why = o.failure { o.stats.error = why }
            outcomes.append(o)
            end()
        }

        /// Input over: the flows still open are finished as final records, in this shard's
        /// id order, laid out by every worker's thread (`EndPhase`).
        private func end() {
            publish(progress: .max, done: false)
            var direct: EndPhase.Direct?
            if let renderer, let site = hub.site, EndPhase.rendersDirectly {
                direct = EndPhase.Direct(renderer: renderer, render: { [unowned(unsafe) self] f, details, id in
                    var r = verdict.record(f.pointee, details, .endOfInput)
                    r.id = id
                    counts.addCounts(r)
                    Unmanaged.passUnretained(renderer)._withUnsafeGuaranteedRef { $0.add(r) }
                }, site: site, deliver: { [unowned(unsafe) analysis] chunk in analysis.deliver(chunk: chunk) })
            }
            endPhase.run(index, tracker: shard.tracker, layOut: { f, details in layOut(f, details, .endOfInput) },
                         direct: direct, between: { reuseBlocks(hub.takeBack) })
        }

        private func publish(progress: UInt64, done: Bool, wait: Bool = true) {
            reuseBlocks { index, toFree in
                hub.publish(index, starts: &shard.starts, records: &records, progress: progress, done: done,
                            wait: wait, toFree: &toFree)
            }
        }

        /// Takes this worker's written blocks back (with `take`) and reuses them.
        @inline(__always)
        private func reuseBlocks(_ take: (Int, inout [UnsafeMutableRawPointer]) -> Void) {
            take(index, &toFree)
            if !toFree.isEmpty {
                renderer?.blocks.recycle(toFree)
                toFree.removeAll(keepingCapacity: true)
            }
        }
    }
}
