import DemarcCapture
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where a shard's frames come from: a capture file or pipe (`PcapSource`), or the ring
/// a live capture thread fills (`RingSource`). Frames are handed over in batches, so the
/// packet loop makes one closure context per batch, not per frame.
protocol FrameSource {
    /// Hands up to `limit` frames to `body` (captured bytes, original length, timestamp
    /// in microseconds), then says how many it handed over and how reading stands:
    /// `.packet` when more may follow at once, `.timeout` when none is there now, anything
    /// else when the source has ended.
    func frames(upTo limit: Int, _ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> (count: Int, status: ReadStatus)
    /// Waits a little for frames, after a `.timeout`.
    func idle()
}

extension PcapSource: FrameSource {
    @inline(__always)
    func frames(upTo limit: Int, _ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> (count: Int, status: ReadStatus) {
        next(upTo: limit, body)
    }

    func idle() { waitReadable(milliseconds: 100) }
}

/// A live capture's ring, drained on the analysing thread while the capture thread keeps
/// the kernel's buffer empty. A batch is every frame the ring holds (its size bounds it).
/// It ends once the capture thread has closed it and every frame pushed before has been
/// drained.
struct RingSource: FrameSource {
    let ring: PacketRing

    func frames(upTo limit: Int, _ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> (count: Int, status: ReadStatus) {
        let closed = ring.isClosed
        let n = ring.drain(body)
        if closed { return (n, .end) }
        return (n, n == 0 ? .timeout : .packet)
    }

    func idle() { usleep(1000) }
}

/// The live workers' handoff queues under fanout: `rings[to][from]`, one single-producer
/// ring per pair, and how many workers still read their own capture ring (a worker
/// stops reading its queues only once every other has stopped handing frames on).
final class Handoffs: @unchecked Sendable {
    let rings: [[PacketRing]]
    let producing: Atomic<Int>

    init(workers: Int, bytes: Int) {
        rings = (0..<workers).map { to in
            (0..<workers).map { from in PacketRing(bytes: from == to ? 0 : bytes) }
        }
        producing = Atomic(workers)
    }
}

/// A fanout worker's frames: its own handle on the interface, read on the worker's own
/// thread (no capture thread and no ring: the kernel hands this handle its share only, and
/// a worker never waits on the report's output, which the main thread writes), then the
/// frames other workers handed it (read with `shard.readingHandoffs` set). Once
/// `stopping` is set it reads its handle no more; it ends once every other worker has
/// stopped too and the queues are drained.
final class FanoutSource: FrameSource, CaptureCounts {
    let source: PcapSource
    let handoffs: Handoffs
    let shard: Shard
    /// Set by the packet loop when capture is to stop: the handle is then read to the end
    /// of what the kernel queued for it (`LiveDrain`).
    var stopping = false
    private var drain = LiveDrain()
    private var ownEnded = false
    /// Why reading the handle failed, if it did.
    private(set) var failure: String?

    init(source: PcapSource, handoffs: Handoffs, shard: Shard) {
        self.source = source
        self.handoffs = handoffs
        self.shard = shard
    }

    var dropped: UInt64 { source.stats()?.dropped ?? 0 }
    var queueDropped: UInt64 { 0 }

    func frames(upTo limit: Int, _ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> (count: Int, status: ReadStatus) {
        var n = 0
        if !ownEnded {
            if stopping && !drain.started { drain.start(source) }
            var status = ReadStatus.end
            if !drain.over { (n, status) = source.next(upTo: limit, body) }
            if n > 0 { drain.read() }
            switch status {
            case .packet, .timeout: if drain.over { ownEnded = true }
            case .end: ownEnded = true
            case .truncated(let why), .failed(let why): failure = why; ownEnded = true
            }
            if ownEnded { handoffs.producing.subtract(1, ordering: .releasing) }
        }
        // Loaded before the queues are drained: once it is 0, nothing more is pushed.
        let othersDone = handoffs.producing.load(ordering: .acquiring) == 0
        shard.readingHandoffs = true
        for (from, queue) in handoffs.rings[shard.index].enumerated() where from != shard.index {
            n += queue.drain(body)
        }
        shard.readingHandoffs = false
        if ownEnded && othersDone { return (n, .end) }
        return (n, n == 0 ? .timeout : .packet)
    }

    /// Until the handle has packets, at most a millisecond (frames handed on wait no longer).
    func idle() {
        if ownEnded { usleep(1000) } else { source.waitReadable(milliseconds: 1) }
    }
}
