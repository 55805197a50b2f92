import DemarcBase
import DemarcDecode
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A live interface read on its own thread into a PacketRing, so that the analysis
/// (and whatever output it waits on) never keeps libpcap from draining the kernel's
/// buffer. The handle is used by the capture thread alone while it runs.
public final class LiveCapture: @unchecked Sendable {
    public let source: PcapSource
    public let ring: PacketRing
    private let stopRequested = Atomic<Bool>(false)
    private let kernelDropped = Atomic<UInt64>(0)
    private var thread: pthread_t?
    /// Why capturing stopped early, if it did; read after `join()`.
    public private(set) var failure: String?

    public init(source: PcapSource, ringBytes: Int = 64 << 20) {
        self.source = source
        self.ring = PacketRing(bytes: ringBytes)
    }

    /// Packets the kernel dropped, as last sampled by the capture thread.
    public var dropped: UInt64 { kernelDropped.load(ordering: .relaxed) }

    public func start() {
        var t = pthread_t()
        let me = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&t, nil, { arg in
            let capture = Unmanaged<LiveCapture>.fromOpaque(arg!).takeRetainedValue()
            capture.loop()
            return nil
        }, me)
        if rc == 0 {
            thread = t
        } else {
            Unmanaged<LiveCapture>.fromOpaque(me).release()
            failure = "cannot start the capture thread (\(String(cString: strerror(rc))))"
            ring.close()
        }
    }

    /// Asks the capture thread to stop after the packets already delivered to it.
    public func stop() { stopRequested.store(true, ordering: .releasing) }

    /// Waits for the capture thread to end (after `stop()`, or a capture error).
    public func join() {
        if let t = thread { pthread_join(t, nil); thread = nil }
    }

    private func loop() {
        var sinceSample = 0
        defer {
            sampleDrops()
            ring.close()
        }
        while !stopRequested.load(ordering: .acquiring) {
            let status = source.next { frame, wire, ts in
                ring.push(frame, wireLength: wire, timestamp: ts)
            }
            switch status {
            case .packet:
                sinceSample += 1
                if sinceSample >= 4096 { sinceSample = 0; sampleDrops() }
            case .timeout:
                sampleDrops()
                source.waitReadable(milliseconds: 50)
            case .end:
                return
            case .truncated(let why), .failed(let why):
                failure = why
                return
            }
        }
    }

    private func sampleDrops() {
        if let s = source.stats() { kernelDropped.store(s.dropped, ordering: .relaxed) }
    }
}
