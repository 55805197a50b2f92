import DemarcBase
import DemarcFlows
import DemarcScenario
import DemarcReport

/// What watches a live run as it goes (`monitor --metrics`): every flow as it ends, the
/// growth of open flows about once a second, and the capture's own figures. Calls come
/// from the analysing threads (several with workers): an observer is thread-safe.
public protocol LiveObserver: AnyObject, Sendable {
    /// A flow ended (as it is reported). Its packets and bytes not yet counted are
    /// `r.packets - r.exportedPackets` and `r.bytes - r.exportedBytes`.
    func flowEnded(_ r: FlowRecord)
    /// An open flow sent `packets` and `bytes` since it was last counted; `r` is its
    /// record as it stands (the verdict so far).
    func flowGrew(_ r: FlowRecord, packets: UInt64, bytes: UInt64)
    /// The capture as a whole: packets read, flows open, packets the kernel and demarc's
    /// own queue dropped (totals since the start).
    func capture(packets: UInt64, openFlows: Int, kernelDropped: UInt64, queueDropped: UInt64)
    /// One worker's bounded caches gave up this many more fragmented datagrams and
    /// handshake buffers since it last said.
    func gaveUp(fragmentDatagrams: UInt64, handshakes: UInt64)
}

extension LiveObserver {
    public func gaveUp(fragmentDatagrams: UInt64, handshakes: UInt64) {}
}

enum LiveProgress {
    /// How often open flows' growth is counted.
    static let interval: Int64 = 1_000_000

    /// Counts what every open flow of `tracker` sent since it was last counted. Runs on
    /// the thread that owns the tracker; a record (the verdict so far) is made only for
    /// flows that grew.
    static func export(_ tracker: FlowTracker, verdict: Verdict, to observer: any LiveObserver) {
        tracker.forEachActive { f, slot in
            let packets = f.pointee.packetsAB &+ f.pointee.packetsBA
            let bytes = f.pointee.bytesAB &+ f.pointee.bytesBA
            let d = tracker.details(ofSlot: slot)
            guard packets > d.exportedPackets else { return }
            let r = verdict.record(f.pointee, d)
            observer.flowGrew(r, packets: packets - d.exportedPackets, bytes: bytes - d.exportedBytes)
            d.exportedPackets = packets
            d.exportedBytes = bytes
        }
        let fragments = tracker.fragmentsForgotten, handshakes = tracker.handshakesGivenUp
        let told = tracker.exportedLosses
        if fragments != told.fragments || handshakes != told.handshakes {
            observer.gaveUp(fragmentDatagrams: fragments - told.fragments, handshakes: handshakes - told.handshakes)
            tracker.exportedLosses = (fragments, handshakes)
        }
    }
}
