import DemarcBase
import DemarcDecode
import DemarcCapture
import DemarcFlows

/// How one shard's reading of one capture (or of the interface) went.
struct InputOutcome {
    var stats: InputStats
    var status: ReadStatus = .end
    /// The input could not be opened (or its filter applied): why.
    var openError: String?
    var opened = false
    var linkType: Int32 = 0
    /// Records skipped for a corrupt time: shard 0's count (shard 0 reads every capture).
    var skipped = SkippedRecords()
    /// Live: why capturing stopped before it was asked to, if it did.
    var failure: String?
    /// Live: packets the kernel passed to the handle (those it dropped included).
    var received: UInt64 = 0
}

extension Shard {
    /// The frame source of replay: the captures one at a time, in the order given (any
    /// number of rotated captures fits in a few file descriptors), each opened (or the
    /// stream already open used), filtered and read to its end. `opened` runs as each
    /// capture opens; `afterBatch` after every batch read (bytes of the earlier captures,
    /// and the current one); `ended` as each capture's reading ends (or fails to begin).
    /// Returns each capture's outcome.
    @discardableResult
    func read(_ plans: [Replay.Plan], filter: FilterPrograms?, batch: Int, applyFilter: (FilterPrograms, PcapSource) throws -> Void,
              opened: (InputOutcome) -> Void = { _ in }, afterBatch: (_ doneBytes: Int64, PcapSource) -> Void,
              ended: (InputOutcome) -> Void = { _ in }) -> [InputOutcome] {
        var outcomes: [InputOutcome] = []
        var doneBytes: Int64 = 0
        for (i, plan) in plans.enumerated() {
            // Shard 0 asks for the next file ahead; any others read the same cache.
            if index == 0, i + 1 < plans.count { PcapSource.readAhead(plans[i + 1].path) }
            var outcome = InputOutcome(stats: InputStats(kind: "file", name: plan.path, linkType: ""))
            let source: PcapSource
            do {
                source = try plan.open ?? PcapSource(file: plan.path)
                if let filter { try applyFilter(filter, source) }
            } catch {
                // Gone or changed since its header was read: what came before stands.
                outcome.openError = (error as? DemarcError)?.description ?? "\(plan.path): \(error)"
                outcome.stats.error = outcome.openError
                outcomes.append(outcome)
                ended(outcome)
                continue
            }
            outcome.opened = true
            outcome.linkType = source.linkType
            begin(InputStats(kind: "file", name: source.name, linkType: source.linkTypeName), linkType: source.linkType)
            outcome.stats = stats
            opened(outcome)
            // Dispatching: frames are handed to the other shards where they lie in the
            // read windows, not copied.
            if let dispatcher { source.lendWindows(dispatcher) }
            outcome.status = read(source, batch: batch) { _ in
                afterBatch(doneBytes, source)
                return true
            }
            outcome.stats = stats
            if index == 0 { outcome.skipped = source.badTimestamps }
            doneBytes += source.fileSize ?? 0
            outcomes.append(outcome)
            ended(outcome)
        }
        return outcomes
    }

    /// The frame source of monitor: a handle on the interface (`opened`, or one of this
    /// shard's own), a capture thread filling a ring, and the ring drained here until
    /// `stopRequested` says to stop and everything captured before has been read.
    /// `started` runs once capturing has begun; `tick` about every 100 ms (`timed`), and
    /// after a batch of more than 4096 frames.
    /// Under fanout (`handoffs`), the handle is read here, with no capture thread
    /// (`FanoutSource`), and the frames other shards hand this one are read too.
    func capture(_ live: LiveInput, opened: PcapSource? = nil, handoffs: Handoffs? = nil, started: () -> Void,
                 stopRequested: () -> Bool, tick: (_ capture: any CaptureCounts, _ timed: Bool) -> Void) -> InputOutcome {
        let source: PcapSource
        do {
            source = try opened ?? live.open()
        } catch {
            return InputOutcome(stats: InputStats(kind: "interface", name: live.interface, linkType: ""),
                                openError: (error as? DemarcError)?.description ?? "\(error)")
        }
        begin(InputStats(kind: "interface", name: live.interface, linkType: source.linkTypeName), linkType: source.linkType)
        let fanout = handoffs.map { FanoutSource(source: source, handoffs: $0, shard: self) }
        let capture = fanout == nil ? LiveCapture(source: source, ringBytes: Int(live.bufferMB) << 20) : nil
        capture?.start()
        let counts: any CaptureCounts = fanout ?? capture!
        started()
        var stopping = false
        var lastTick = Progress.nowMicros()
        let between = { (n: Int) -> Bool in
            if !stopping && stopRequested() {
                stopping = true
                capture?.stop()
                fanout?.stopping = true
            }
            let now = Progress.nowMicros()
            let timed = now - lastTick >= 100_000
            if timed || n > 4096 {
                if timed { lastTick = now }
                tick(counts, timed)
            }
            return true
        }
        if let fanout {
            // Batches of 1024, so that a stop and the ticks are seen however busy the handle.
            _ = read(fanout, batch: 1024, between: between)
        } else if let capture {
            _ = read(RingSource(ring: capture.ring), batch: .max, between: between)
        }
        capture?.join()
        let kernel = source.stats()
        stats.dropped = kernel?.dropped ?? counts.dropped
        // Frames handed on (fanout) but with no room in the owner's queue are lost here.
        stats.queueDropped = counts.queueDropped + handoffDropped
        return InputOutcome(stats: stats, opened: true, linkType: source.linkType,
                            skipped: index == 0 ? source.badTimestamps : SkippedRecords(),
                            failure: capture?.failure ?? fanout?.failure, received: kernel?.received ?? 0)
    }
}

/// A live capture's drops so far: by the kernel, and by demarc's own packet ring.
protocol CaptureCounts: AnyObject {
    var dropped: UInt64 { get }
    var queueDropped: UInt64 { get }
}

extension LiveCapture: CaptureCounts {
    var queueDropped: UInt64 { ring.dropped }
}

/// What a live shard opens: the interface as `monitor` was asked to capture it.
struct LiveInput: @unchecked Sendable {
    var interface: String
    var snaplen: Int32
    var promiscuous: Bool
    var bufferMB: Int32
    var filter: String?

    func open() throws -> PcapSource {
        let source = try PcapSource(interface: interface, snaplen: snaplen, promiscuous: promiscuous, bufferMB: bufferMB)
        if let filter { try source.setFilter(filter) }
        return source
    }
}
