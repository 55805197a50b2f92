import DemarcBase
import DemarcDecode
import Synchronization

/// A single-producer, single-consumer ring of captured packets in one preallocated
/// block of memory: the capture thread copies each packet in, the analysis thread
/// reads it out, and neither waits for the other. When the analysis falls so far behind
/// that the ring is full, the packet is dropped and counted (`dropped`), so the capture
/// thread keeps draining the kernel's buffer whatever the output does.
///
/// A record is a 16-byte header (timestamp, captured length, original length) and the
/// packet's bytes, padded to 16. A record that would run past the end of the block is
/// preceded by a wrap marker and written at the start instead.
public final class PacketRing: @unchecked Sendable {
    private let capacity: Int
    private let mask: Int
    private let memory: UnsafeMutableRawPointer
    /// Total bytes ever written / read; positions in the block are these modulo capacity.
    private let written = Atomic<Int>(0)
    private let read = Atomic<Int>(0)
    private let droppedCount = Atomic<UInt64>(0)
    private let closedFlag = Atomic<Bool>(false)

    static let headerSize = 16
    static let wrapMarker = UInt32.max

    /// - Parameter bytes: the ring's size, rounded up to a power of two (at least 64 KB).
    public init(bytes: Int) {
        var c = 1 << 16
        while c < bytes { c <<= 1 }
        capacity = c
        mask = c - 1
        memory = .allocate(byteCount: c, alignment: 16)
    }

    deinit { memory.deallocate() }

    /// Packets the ring had no room for.
    public var dropped: UInt64 { droppedCount.load(ordering: .relaxed) }

    /// Producer: no more packets will come.
    public func close() { closedFlag.store(true, ordering: .releasing) }
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    @inline(__always) private static func padded(_ n: Int) -> Int { (n + 15) & ~15 }

    /// Producer: copies one packet in; false (and counted) when there is no room.
    @discardableResult
    public func push(_ frame: UnsafeRawBufferPointer, wireLength: Int, timestamp: Int64) -> Bool {
        let need = PacketRing.headerSize + PacketRing.padded(frame.count)
        let w = written.load(ordering: .relaxed)
        let r = read.load(ordering: .acquiring)
        let offset = w & mask
        let tailRoom = capacity - offset
        let waste = tailRoom < need ? tailRoom : 0
        guard need <= capacity / 2, capacity - (w - r) >= waste + need else {
            droppedCount.add(1, ordering: .relaxed)
            return false
        }
        var at = offset
        if waste > 0 {
            // tailRoom is a multiple of 16, so the marker header always fits.
            memory.storeBytes(of: PacketRing.wrapMarker, toByteOffset: at + 8, as: UInt32.self)
            at = 0
        }
        memory.storeBytes(of: timestamp, toByteOffset: at, as: Int64.self)
        memory.storeBytes(of: UInt32(frame.count), toByteOffset: at + 8, as: UInt32.self)
        memory.storeBytes(of: UInt32(clamping: wireLength), toByteOffset: at + 12, as: UInt32.self)
        if let base = frame.baseAddress, frame.count > 0 {
            (memory + at + PacketRing.headerSize).copyMemory(from: base, byteCount: frame.count)
        }
        written.store(w + waste + need, ordering: .releasing)
        return true
    }

    /// Consumer: hands every packet available now to `body` (bytes valid during the
    /// call only) and returns how many there were.
    @discardableResult
    public func drain(_ body: (UnsafeRawBufferPointer, Int, Int64) -> Void) -> Int {
        let w = written.load(ordering: .acquiring)
        var r = read.load(ordering: .relaxed)
        var n = 0
        while r < w {
            let at = r & mask
            let caplen = memory.load(fromByteOffset: at + 8, as: UInt32.self)
            if caplen == PacketRing.wrapMarker {
                r += capacity - at
                continue
            }
            let ts = memory.load(fromByteOffset: at, as: Int64.self)
            let wire = memory.load(fromByteOffset: at + 12, as: UInt32.self)
            body(UnsafeRawBufferPointer(start: memory + at + PacketRing.headerSize, count: Int(caplen)), Int(wire), ts)
            r += PacketRing.headerSize + PacketRing.padded(Int(caplen))
            n += 1
            // Give the room back as we go, so a long batch never starves the producer.
            if n & 63 == 0 { read.store(r, ordering: .releasing) }
        }
        read.store(r, ordering: .releasing)
        return n
    }
}
