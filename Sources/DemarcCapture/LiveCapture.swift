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

    /// Asks the capture thread to stop after the packets the kernel has queued for it
    /// (see `LiveDrain`).
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
        var drain = LiveDrain()
        while true {
            if !drain.started && stopRequested.load(ordering: .acquiring) { drain.start(source) }
            if drain.over { return }
            let status = source.next { frame, wire, ts in
                ring.push(frame, wireLength: wire, timestamp: ts)
            }
            switch status {
            case .packet:
                if drain.started { drain.read() }
                sinceSample += 1
                if sinceSample >= 4096 { sinceSample = 0; sampleDrops() }
            case .timeout:
                sampleDrops()
                if drain.over { return }
                source.waitReadable(milliseconds: drain.started ? 10 : 50)
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

/// A live handle's end: once capture is to stop, the kernel is told to queue no more for
/// the handle (`PcapSource.admitNoMore`) and what it queued before is read to the last.
/// libpcap hands a block of the kernel's ring over only when it is full or its timeout
/// (100 ms) has passed, so the queue counts as empty once nothing came for longer than
/// that. Where the filter could not be set, reading stops at once, as before; and it
/// stops after `longest` whatever comes, so a stop never waits on traffic.
public struct LiveDrain {
    public private(set) var started = false
    private var admits = true
    private var since: Int64 = 0
    private var lastPacket: Int64 = 0
    static let quiet: Int64 = 250_000
    static let longest: Int64 = 2_000_000

    public init() {}

    public mutating func start(_ source: PcapSource) {
        started = true
        admits = !source.admitNoMore()
        since = LiveDrain.now()
        lastPacket = since
    }

    /// A packet was read while draining.
    @inline(__always) public mutating func read() {
        if started { lastPacket = LiveDrain.now() }
    }

    /// Stopping, and the queue is read to its end (or cannot be, or has been read long enough).
    public var over: Bool {
        guard started else { return false }
        let now = LiveDrain.now()
        return admits || now - lastPacket > LiveDrain.quiet || now - since > LiveDrain.longest
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
