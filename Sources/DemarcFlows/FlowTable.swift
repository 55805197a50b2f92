import DemarcBase
import DemarcDecode
import DemarcInspect
/// One live flow: a plain value stored in place in the FlowTable's pool.
public struct FlowState {
    public var key: FlowKey
    /// Report id: flows are numbered in the order of their first packet.
    public var id: UInt64
    public var hash: UInt64
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var packetsAB: UInt64 = 0
    public var packetsBA: UInt64 = 0
    public var bytesAB: UInt64 = 0
    public var bytesBA: UInt64 = 0
    /// Later fragments (no transport header) of this flow's datagrams, both ways. Kept
    /// apart from packets and bytes, which count frames that carry the transport header
    /// as tshark's conversations and nDPI do.
    public var fragmentPackets: UInt64 = 0
    public var fragmentBytes: UInt64 = 0
    /// Endpoint A (the key's lower endpoint) is the client.
    public var clientIsA: Bool
    /// The flow's first packet went to a link-layer group address (SCENARIO.md's `link`).
    public var linkGroup = false
    public var tcpBaseA: UInt32 = 0
    public var tcpBaseB: UInt32 = 0
    public var tcp: TCPProgress = []
    /// ICMP and ICMPv6: the type and code of the flow's first packet (its Community ID
    /// hashes them); `icmpSeen` is false when that packet was cut before them.
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    public var icmpSeen = false
    // Intrusive links of the idle list the flow is on.
    var prev: Int32 = -1
    var next: Int32 = -1
    var list: UInt8 = 0
    /// Why the flow was finished: set just before it is handed to `onFinish`.
    public var finish: FinishReason = .endOfInput
    /// When the flow was last put at its list's tail: lists are ordered by this, and a
    /// flow moves to the tail again only once it is an eighth of its timeout old (see
    /// FlowTracker), not on every packet.
    var linkedAt: Int64 = 0
    public var inspect: InspectState

    public struct TCPProgress: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let baseA = TCPProgress(rawValue: 1)
        public static let baseB = TCPProgress(rawValue: 2)
        public static let finA = TCPProgress(rawValue: 4)
        public static let finB = TCPProgress(rawValue: 8)
        public static let rst = TCPProgress(rawValue: 16)
        public static let synSeen = TCPProgress(rawValue: 32)

        public var closed: Bool { contains(.rst) || contains([.finA, .finB]) }
    }

    public var packetsToServer: UInt64 { clientIsA ? packetsAB : packetsBA }
    public var packetsToClient: UInt64 { clientIsA ? packetsBA : packetsAB }
    public var bytesToServer: UInt64 { clientIsA ? bytesAB : bytesBA }
    public var bytesToClient: UInt64 { clientIsA ? bytesBA : bytesAB }
}

/// Live flows: a pool of FlowState values with a free list, an open-addressing index
/// (linear probing, backward-shift deletion, so no tombstones), and three idle lists
/// ordered by last activity: established flows, embryonic flows (see FlowTracker) and
/// closed TCP flows lingering for late packets.
/// One hash, one probe sequence per packet; nothing here allocates per packet.
public final class FlowTable {
    public static let openList: UInt8 = 1
    public static let closedList: UInt8 = 2
    public static let embryonicList: UInt8 = 3

    // The hot fields are touched for every packet; they are only ever used from one
    // thread, so the dynamic exclusivity check on each access is skipped.
    @exclusivity(unchecked) private(set) var pool: UnsafeMutablePointer<FlowState>
    private var poolCapacity: Int
    @exclusivity(unchecked) private var poolUsed = 0
    @exclusivity(unchecked) private var freeHead: Int32 = -1
    /// Parallel to the pool: per-flow inspection detail, allocated only when a flow needs
    /// it (inspectors reach their flow's record through it, not through the table).
    public let details: FlowDetailsStore

    @exclusivity(unchecked) private var index: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var indexMask: Int
    private var indexMapped = false
    @exclusivity(unchecked) public private(set) var count = 0
    /// The most flows live at once: what memory is sized by.
    @exclusivity(unchecked) public private(set) var peakCount = 0

    /// Each idle list's oldest slot at `ends[list]` and newest at `ends[4 + list]` (list
    /// numbers 1 to 3), -1 for an empty list.
    private let ends: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 8)
        p.initialize(repeating: -1, count: 8)
        return p
    }()

    /// The most flows the pool's reserved address space holds (about 14 GB of address
    /// space, committed only as flows use it); past it, the pool grows by copying.
    public static let reservedFlows = 1 << 26
    /// The flows the pool's reserved address space holds (LargeMemory); 0 when the pool
    /// is malloc's (the kernel refused, or the pool outgrew its reservation).
    private var reservedCount: Int

    /// - Parameter reserving: the flows to reserve address space for (tests make it small
    ///   to outgrow it).
    public init(initialCapacity: Int = 1024, reserving: Int = FlowTable.reservedFlows) {
        if reserving > 0, let p = LargeMemory.reserve(reserving * MemoryLayout<FlowState>.stride) {
            pool = p.bindMemory(to: FlowState.self, capacity: reserving)
            poolCapacity = reserving
            reservedCount = reserving
        } else {
            poolCapacity = max(16, initialCapacity)
            pool = .allocate(capacity: poolCapacity)
            reservedCount = 0
        }
        var size = 16
        while size < max(16, initialCapacity) * 2 { size <<= 1 }
        (index, indexMapped) = FlowTable.allocateIndex(size)
        indexMask = size - 1
        details = FlowDetailsStore(capacity: max(16, initialCapacity))
    }

    deinit {
        // FlowState is a plain value: nothing to deinitialize.
        releasePool()
        FlowTable.freeIndex(index, indexMask + 1, mapped: indexMapped)
        ends.deallocate()
    }

    /// A zeroed index of `size` entries: from the kernel, with huge pages, once it is large
    /// (`mapped`), else from malloc.
    private static func allocateIndex(_ size: Int) -> (UnsafeMutablePointer<UInt64>, mapped: Bool) {
        if size * 8 >= LargeMemory.threshold, let p = LargeMemory.reserve(size * 8) {
            return (p.bindMemory(to: UInt64.self, capacity: size), true)
        }
        let q = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        q.initialize(repeating: 0, count: size)
        return (q, false)
    }

    private static func freeIndex(_ p: UnsafeMutablePointer<UInt64>, _ size: Int, mapped: Bool) {
        if mapped { LargeMemory.release(UnsafeMutableRawPointer(p), size * 8) } else { p.deallocate() }
    }

    /// One past the highest slot ever used: slots below it hold (or held) a flow.
    var poolUsedBound: Int32 { Int32(poolUsed) }

    public subscript(slot: Int32) -> UnsafeMutablePointer<FlowState> {
        pool + Int(slot)
    }

    /// The slot of the flow with this key, or nil. Inlined into the packet path, where
    /// the key is still in registers.
    @inline(__always)
    public func find(_ key: FlowKey, hash: UInt64) -> Int32? {
        let tag = hash >> 32
        var i = Int(truncatingIfNeeded: hash) & indexMask
        while true {
            let e = index[i]
            if e == 0 { return nil }
            if e >> 32 == tag {
                // Index entries hold slot + 1 (never 0, the empty mark).
                let slot = Int32(truncatingIfNeeded: e & 0xffff_ffff) &- 1
                if pool[Int(slot)].key == key { return slot }
            }
            i = (i &+ 1) & indexMask
        }
    }

    /// Adds a flow (its key must not be present) to the tail of idle list `list` and
    /// returns its slot.
    public func insert(_ state: FlowState, list: UInt8 = FlowTable.openList) -> Int32 {
        if (count + 1) * 4 > (indexMask + 1) * 3 { growIndex() }
        let slot: Int32
        if freeHead >= 0 {
            slot = freeHead
            freeHead = pool[Int(slot)].next
            (pool + Int(slot)).initialize(to: state)
            details.occupy(slot)
        } else {
            if poolUsed == poolCapacity { growPool() }
            slot = Int32(poolUsed)
            (pool + poolUsed).initialize(to: state)
            details.occupy(slot)
            poolUsed += 1
        }
        placeInIndex(hash: state.hash, slot: slot)
        count += 1
        if count > peakCount { peakCount = count }
        link(slot, list: list)
        return slot
    }

    /// Removes a flow; its slot may be reused at once.
    public func remove(_ slot: Int32) {
        unlink(slot)
        let hash = pool[Int(slot)].hash
        var i = Int(truncatingIfNeeded: hash) & indexMask
        let want = UInt64(UInt32(bitPattern: slot + 1))
        while index[i] & 0xffff_ffff != want { i = (i + 1) & indexMask }
        // Backward-shift deletion keeps every probe sequence unbroken.
        var hole = i
        var j = (i + 1) & indexMask
        while index[j] != 0 {
            let s = Int32(truncatingIfNeeded: index[j] & 0xffff_ffff) - 1
            let home = Int(truncatingIfNeeded: pool[Int(s)].hash) & indexMask
            let distHole = (hole - home) & indexMask
            let distJ = (j - home) & indexMask
            if distHole < distJ {
                index[hole] = index[j]
                hole = j
            }
            j = (j + 1) & indexMask
        }
        index[hole] = 0
        details.release(slot)
        pool[Int(slot)].next = freeHead
        pool[Int(slot)].list = 0
        freeHead = slot
        count -= 1
    }

    public func details(for slot: Int32) -> FlowDetails { details.details(for: slot) }

    public func existingDetails(_ slot: Int32) -> FlowDetails? { details.existing(slot) }

    // MARK: idle lists

    /// Moves a flow to the tail (most recent end) of an idle list.

    public func touch(_ slot: Int32, list: UInt8) {
        if pool[Int(slot)].list == list && tail(list) == slot { return }
        unlink(slot)
        link(slot, list: list)
    }


    func tail(_ list: UInt8) -> Int32 { ends[4 + Int(list)] }

    private func setTail(_ list: UInt8, _ slot: Int32) { ends[4 + Int(list)] = slot }

    private func head(_ list: UInt8) -> Int32 { ends[Int(list)] }

    private func setHead(_ list: UInt8, _ slot: Int32) { ends[Int(list)] = slot }

    /// The least recently active flow of a list.
    public func oldest(_ list: UInt8) -> Int32? {
        let h = head(list)
        return h >= 0 ? h : nil
    }

    func link(_ slot: Int32, list: UInt8) {
        let t = tail(list)
        pool[Int(slot)].prev = t
        pool[Int(slot)].next = -1
        pool[Int(slot)].list = list
        if t >= 0 { pool[Int(t)].next = slot } else { setHead(list, slot) }
        setTail(list, slot)
    }

    func unlink(_ slot: Int32) {
        let f = pool[Int(slot)]
        guard f.list != 0 else { return }
        if f.prev >= 0 { pool[Int(f.prev)].next = f.next } else { setHead(f.list, f.next) }
        if f.next >= 0 { pool[Int(f.next)].prev = f.prev } else { setTail(f.list, f.prev) }
        pool[Int(slot)].list = 0
        pool[Int(slot)].prev = -1
        pool[Int(slot)].next = -1
    }

    /// Removes every flow at once (end of input): the index is zeroed, the pool and the
    /// detail records start over. The peak stays.
    public func removeAll() {
        index.update(repeating: 0, count: indexMask + 1)
        details.releaseAll()
        poolUsed = 0
        freeHead = -1
        count = 0
        ends.update(repeating: -1, count: 8)
    }

    /// Calls `body` with every live slot, in no particular order; allocates nothing.
    public func forEachLive(_ body: (Int32) -> Void) {
        for s in 0..<poolUsed where pool[s].list != 0 { body(Int32(s)) }
    }

    /// Every live slot, in no particular order.
    public func liveSlots() -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(count)
        for s in 0..<poolUsed where pool[s].list != 0 { out.append(Int32(s)) }
        return out
    }

    // MARK: growth

    private func placeInIndex(hash: UInt64, slot: Int32) {
        var i = Int(truncatingIfNeeded: hash) & indexMask
        while index[i] != 0 { i = (i + 1) & indexMask }
        index[i] = (hash >> 32) << 32 | UInt64(UInt32(bitPattern: slot + 1))
    }

    private func growIndex() {
        let old = index
        let oldSize = indexMask + 1
        let size = oldSize * 2
        let oldMapped = indexMapped
        (index, indexMapped) = FlowTable.allocateIndex(size)
        indexMask = size - 1
        for i in 0..<oldSize where old[i] != 0 {
            let slot = Int32(truncatingIfNeeded: old[i] & 0xffff_ffff) - 1
            placeInIndex(hash: pool[Int(slot)].hash, slot: slot)
        }
        FlowTable.freeIndex(old, oldSize, mapped: oldMapped)
    }

    private func growPool() {
        let newCapacity = poolCapacity * 2
        let fresh = UnsafeMutablePointer<FlowState>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: pool, count: poolUsed)
        releasePool()
        pool = fresh
        poolCapacity = newCapacity
        reservedCount = 0
    }

    /// Gives the pool back as it was taken: a reservation (even one outgrown) is unmapped,
    /// never handed to free().
    private func releasePool() {
        if reservedCount > 0 {
            LargeMemory.release(UnsafeMutableRawPointer(pool), reservedCount * MemoryLayout<FlowState>.stride)
        } else {
            pool.deallocate()
        }
    }
}
