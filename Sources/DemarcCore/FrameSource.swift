import DemarcCapture
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
