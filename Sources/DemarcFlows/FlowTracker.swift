import DemarcBase
import DemarcDecode
import DemarcInspect
/// Why a flow was finished.
public enum FinishReason: Sendable {
    /// FIN both ways or RST, then the linger time passed.
    case closed
    /// Idle past the timeout.
    case idle
    /// A new connection reused the same addresses and ports.
    case reused
    /// The input ended.
    case endOfInput
    /// The flow table was full (`FlowTimeouts.maxFlows`): the flow made room for a new one.
    case evicted
}

/// Timeouts, in microseconds of capture time.
public struct FlowTimeouts: Sendable {
    /// An open flow with no packet for this long is finished.
    public var idle: Int64 = 300_000_000
    /// A closed TCP flow lingers this long for late ACKs and retransmissions.
    public var linger: Int64 = 15_000_000
    /// An embryonic flow with no packet for this long is finished (never later than
    /// `idle`): a TCP flow whose handshake has not completed (no packet without SYN since
    /// both sides were seen), or a flow of another transport that has carried one packet.
    public var embryonic: Int64 = 30_000_000
    /// The most flows open at once; a new flow past it evicts one (FlowTracker).
    public var maxFlows = FlowTimeouts.defaultMaxFlows

    /// About 1 GB of flow table (docs/deployment.md, "Memory under floods").
    public static let defaultMaxFlows = 2_000_000

    public init() {}
    public init(idleSeconds: Double, lingerSeconds: Double) {
        idle = Int64(idleSeconds * 1_000_000)
        linger = Int64(lingerSeconds * 1_000_000)
    }

    /// The embryonic timeout in force: `embryonic`, or `idle` when that is shorter.
    @inline(__always)
    var embryonicInForce: Int64 { min(embryonic, idle) }

    /// One of `shards` trackers' share: the flow cap divided between them (each tracker
    /// keeps its own flows), the timeouts the same.
    public func sharing(among shards: Int) -> FlowTimeouts {
        var t = self
        t.maxFlows = max(1, (maxFlows + shards - 1) / max(1, shards))
        return t
    }
}

/// Packets → flows. Keys each decoded packet to its bidirectional flow (one lookup),
/// orients it client → server as SCENARIO.md says, counts packets and frame bytes each
/// way, hands payload to the inspector while its verdict can still change, and finishes
/// flows that close, go idle, or are replaced by a new connection on the same ports.
/// Finished flows go to `onFinish` in the order they finish; their ids follow first
/// packets.
///
/// A flow starts embryonic, on an idle list of its own with the shorter embryonic
/// timeout, and becomes established (the open list, `timeouts.idle`) with a TCP packet
/// without SYN once both sides have been seen (the handshake's last ACK, or a connection
/// picked up midway), or with its second packet on other transports. A flood of SYNs,
/// scans and unanswered datagrams so leaves the table within the embryonic timeout.
/// The table holds at most `timeouts.maxFlows` flows: a new flow past it evicts the
/// oldest embryonic flow, else the oldest lingering closed one, else the oldest
/// established one; an evicted flow is finished (and reported) as `.evicted`.
public final class FlowTracker {
    public let table: FlowTable
    // Single-threaded state read for every packet: no dynamic exclusivity checks.
    @exclusivity(unchecked) public var timeouts: FlowTimeouts { didSet { setListTimeouts() } }
    /// Each idle list's timeout by its list number (`timeout(of:)`), kept with `timeouts`:
    /// one load per packet instead of a branch on the list.
    private let listTimeouts: UnsafeMutablePointer<Int64> = {
        let p = UnsafeMutablePointer<Int64>.allocate(capacity: 4)
        p.initialize(repeating: 0, count: 4)
        return p
    }()
    @exclusivity(unchecked) public var inspector: PayloadInspector
    /// Called for every finished flow. The state and details are valid during the call.
    public var onFinish: (UnsafeMutablePointer<FlowState>, FlowDetails?, FinishReason) -> Void = { _, _, _ in }

    @exclusivity(unchecked) private var fragments = FragmentCache()
    @exclusivity(unchecked) private var nextID: UInt64 = 1
    /// Capture time: the latest timestamp seen (captures are not always in order).
    @exclusivity(unchecked) public private(set) var now: Int64 = 0
    /// No flow can expire before this capture time: the idle lists' oldest entries (and
    /// flows put on a list since) set it, so most packets skip the expiry check.
    @exclusivity(unchecked) private var nextExpiry: Int64 = .min

    public init(timeouts: FlowTimeouts = FlowTimeouts(), inspector: PayloadInspector = PayloadInspector(), initialCapacity: Int = 4096) {
        self.table = FlowTable(initialCapacity: initialCapacity)
        self.timeouts = timeouts
        self.inspector = inspector
        setListTimeouts()
    }

    deinit { listTimeouts.deallocate() }

    private func setListTimeouts() {
        listTimeouts[0] = timeouts.idle
        listTimeouts[Int(FlowTable.openList)] = timeouts.idle
        listTimeouts[Int(FlowTable.closedList)] = timeouts.linger
        listTimeouts[Int(FlowTable.embryonicList)] = timeouts.embryonicInForce
    }

    public var activeFlows: Int { table.count }
    /// Flows evicted to keep the table within `timeouts.maxFlows`.
    public private(set) var evicted: UInt64 = 0
    /// Fragmented datagrams the fixed-size fragment cache forgot for newer ones before
    /// their last fragment came: their later fragments are counted in flows of orphan
    /// fragments.
    public var fragmentsForgotten: UInt64 { fragments.forgotten }
    /// Handshake buffers given up because the table's budget for them was spent
    /// (`ReassemblyBudget`): those flows' handshakes were not read to their end.
    public var handshakesGivenUp: UInt64 { table.details.reassembly.givenUp }
    /// Of those two counts, what a live observer has been told (see `LiveProgress`).
    @exclusivity(unchecked) public var exportedLosses: (fragments: UInt64, handshakes: UInt64) = (0, 0)
    public var flowsStarted: UInt64 { nextID - 1 }

    /// Accounts one decoded IP packet. `frame` is the captured bytes the packet's
    /// offsets refer to; `wireLength` the frame's original length.
    public func track(_ p: DecodedPacket, frame: UnsafeRawBufferPointer, wireLength: Int, timestamp: Int64) {
        if timestamp > now {
            now = timestamp
            if now > nextExpiry { expire() }
        }
        var fromA = true
        var slot: Int32
        if p.laterFragment {
            if let hit = fragments.lookup(p), hit.slot < table.poolUsedBound, table[hit.slot].pointee.id == hit.flowID,
               table[hit.slot].pointee.list != 0 {
                slot = hit.slot
                fromA = table[slot].pointee.key.a == p.src
            } else {
                var key = FlowKey(packet: p, usePorts: false, fromA: &fromA)
                key.orphanFragments = true
                slot = lookupOrCreate(key, p, frame, fromA: fromA, timestamp: timestamp)
            }
        } else {
            let key = FlowKey(packet: p, usePorts: p.hasPorts, fromA: &fromA)
            let hash = key.hashValue64
            if let found = table.find(key, hash: hash), !finishedIfStale(found, at: timestamp) {
                slot = found
                if p.proto == IPProtocol.tcp && p.hasPorts && p.tcpFlags & (TCPFlags.syn | TCPFlags.ack) == TCPFlags.syn {
                    let f = table[slot].pointee
                    let baseSet = fromA ? f.tcp.contains(.baseA) : f.tcp.contains(.baseB)
                    let base = fromA ? f.tcpBaseA : f.tcpBaseB
                    if baseSet && base != p.tcpSeq {
                        // A new connection on the same addresses and ports.
                        finish(slot, .reused)
                        slot = create(key, hash: hash, p, frame, fromA: fromA, timestamp: timestamp)
                    }
                }
            } else {
                slot = create(key, hash: hash, p, frame, fromA: fromA, timestamp: timestamp)
            }
            if p.isFragment {
                fragments.remember(p, slot: slot, flowID: table[slot].pointee.id)
            }
        }

        let f = table[slot]
        if timestamp > f.pointee.lastSeen { f.pointee.lastSeen = timestamp }
        if timestamp < f.pointee.firstSeen { f.pointee.firstSeen = timestamp }
        if p.laterFragment && !f.pointee.key.orphanFragments {
            f.pointee.fragmentPackets &+= 1
            f.pointee.fragmentBytes &+= UInt64(wireLength)
            keepLive(f, slot, list: f.pointee.list == 0 ? FlowTable.openList : f.pointee.list, at: timestamp)
            return
        }
        if fromA {
            f.pointee.packetsAB &+= 1
            f.pointee.bytesAB &+= UInt64(wireLength)
        } else {
            f.pointee.packetsBA &+= 1
            f.pointee.bytesBA &+= UInt64(wireLength)
        }
        var list = f.pointee.list
        if p.proto == IPProtocol.tcp && p.hasPorts && !p.laterFragment {
            let flags = p.tcpFlags
            if fromA {
                if !f.pointee.tcp.contains(.baseA) {
                    f.pointee.tcp.insert(.baseA)
                    f.pointee.tcpBaseA = flags & TCPFlags.syn != 0 ? p.tcpSeq : p.tcpSeq &- 1
                }
                if flags & TCPFlags.fin != 0 { f.pointee.tcp.insert(.finA) }
            } else {
                if !f.pointee.tcp.contains(.baseB) {
                    f.pointee.tcp.insert(.baseB)
                    f.pointee.tcpBaseB = flags & TCPFlags.syn != 0 ? p.tcpSeq : p.tcpSeq &- 1
                }
                if flags & TCPFlags.fin != 0 { f.pointee.tcp.insert(.finB) }
            }
            if flags & TCPFlags.rst != 0 { f.pointee.tcp.insert(.rst) }
            if flags & TCPFlags.syn != 0 { f.pointee.tcp.insert(.synSeen) }
            // Most packets belong to established flows: the test is kept off their path.
            if _slowPath(list == FlowTable.embryonicList) && flags & TCPFlags.syn == 0 && f.pointee.tcp.contains([.baseA, .baseB]) {
                list = FlowTable.openList
            }
            if f.pointee.tcp.closed {
                if list != FlowTable.closedList { nextExpiry = min(nextExpiry, timestamp &+ timeouts.linger) }
                list = FlowTable.closedList
            }
        } else if _slowPath(list == FlowTable.embryonicList) && f.pointee.packetsAB &+ f.pointee.packetsBA > 1 {
            list = FlowTable.openList
        }
        keepLive(f, slot, list: list == 0 ? FlowTable.openList : list, at: timestamp)

        // A packet without payload (a bare ACK) has nothing to inspect.
        if f.pointee.inspect.active && p.payloadLength > 0 {
            let fromClient = fromA == f.pointee.clientIsA
            let (clientPort, serverPort) = f.pointee.clientIsA ? (f.pointee.key.portA, f.pointee.key.portB)
                                                               : (f.pointee.key.portB, f.pointee.key.portA)
            // The table holds its detail store for the tracker's life: it is lent to the
            // inspector without a retain and release around each packet.
            Unmanaged.passUnretained(table.details)._withUnsafeGuaranteedRef { details in
                inspector.inspect(&f.pointee.inspect, proto: f.pointee.key.proto, clientPort: clientPort, serverPort: serverPort,
                                  details: details, slot: slot, packet: p, frame: frame, fromClient: fromClient)
            }
            // The packet announced a connection to come (an FTP data port): its control
            // flow's addresses are known here, not to the inspector.
            if _slowPath(table.details.announced.hasPending) {
                let k = f.pointee.key
                table.details.announced.resolve(slot: slot, client: f.pointee.clientIsA ? k.a : k.b,
                                                server: f.pointee.clientIsA ? k.b : k.a, now: timestamp)
            }
        }
    }

    /// Capture time moves on without a packet of this tracker's (a packet another worker
    /// keeps): flows expire exactly when they would if every packet came here.
    @inline(__always)
    public func advance(to timestamp: Int64) {
        if timestamp > now {
            now = timestamp
            if now > nextExpiry { expire() }
        }
    }

    /// Every open flow and its slot, in no particular order (live metrics read their
    /// counts; nothing is finished or moved).
    public func forEachActive(_ body: (UnsafeMutablePointer<FlowState>, Int32) -> Void) {
        table.forEachLive { s in body(table[s], s) }
    }

    /// The detail record of the open flow in `slot`, made if it has none yet.
    public func details(ofSlot slot: Int32) -> FlowDetails { table.details(for: slot) }

    /// Finishes every flow still open (end of input, or shutdown).
    public func finishAll() {
        for s in endingSlots() {
            let (f, details) = ending(s)
            onFinish(f, details, .endOfInput)
        }
        clearEnded()
    }

    /// The end of input in three steps, so that several threads can lay out the records
    /// of one tracker's flows (`finishAll` is the three on one thread): this concludes
    /// every open flow and lists their slots by id. From here until `clearEnded` the
    /// flows are only read, and `ending` may be called from any thread.
    public func endingSlots() -> [Int32] {
        var slots = table.liveSlots()
        slots.sort { table[$0].pointee.id < table[$1].pointee.id }
        for s in slots {
            let f = table[s]
            inspector.conclude(&f.pointee.inspect)
            f.pointee.finish = .endOfInput
        }
        return slots
    }

    /// A flow `endingSlots` listed, and its detail record.
    @inline(__always)
    public func ending(_ slot: Int32) -> (UnsafeMutablePointer<FlowState>, FlowDetails?) {
        (table[slot], table.existingDetails(slot))
    }

    /// Every flow `endingSlots` listed is reported: the table is emptied once, not flow by
    /// flow (each removal would shift index entries and touch other flows' cache lines).
    public func clearEnded() {
        table.removeAll()
        table.details.announced.clear()
        fragments.clear()
        nextExpiry = .min
    }

    /// Finishes flows idle past their timeout at capture time `now`, in the order they
    /// expired across the three idle lists (the heads' expiry times merged), so that
    /// flows finish as close to their start order as one list would have them.
    public func expire(at time: Int64? = nil) {
        let clock = time ?? now
        while true {
            var first: Int32 = -1, due = Int64.max
            earliest(FlowTable.closedList, &first, &due)
            earliest(FlowTable.embryonicList, &first, &due)
            earliest(FlowTable.openList, &first, &due)
            guard first >= 0, due < clock else {
                nextExpiry = due
                return
            }
            finish(first, table[first].pointee.list == FlowTable.closedList ? .closed : .idle)
        }
    }

    /// The head of `list` if it expires before `due`: its slot and expiry time.
    @inline(__always)
    private func earliest(_ list: UInt8, _ first: inout Int32, _ due: inout Int64) {
        guard let s = table.oldest(list) else { return }
        let t = table[s].pointee.lastSeen &+ timeout(of: list)
        if t < due { due = t; first = s }
    }

    /// Keeps a flow's place on its idle list. Moving it to the tail on every packet
    /// would touch two other flows' links (two cache misses in a large table); it moves
    /// when it changes list or once it has sat an eighth of its timeout. The head of a
    /// list may so be up to that eighth younger than a flow behind it: such a flow is
    /// finished at most an eighth of its timeout late, or as soon as a packet finds it
    /// stale (`finishedIfStale`), so flows still split exactly where the timeouts say.
    @inline(__always)
    private func keepLive(_ f: UnsafeMutablePointer<FlowState>, _ slot: Int32, list: UInt8, at timestamp: Int64) {
        let timeout = timeout(of: list)
        if f.pointee.list != list || timestamp &- f.pointee.linkedAt > timeout >> 3 {
            table.touch(slot, list: list)
            f.pointee.linkedAt = max(f.pointee.linkedAt, timestamp)
        }
    }

    /// A flow idle past its timeout when this packet came that expiry has not reached
    /// yet is finished now, before the packet starts a new one. The packet's own time
    /// judges, not the capture's latest: one packet stamped years ahead must not split
    /// every flow after it.
    @inline(__always)
    private func finishedIfStale(_ slot: Int32, at timestamp: Int64) -> Bool {
        let f = table[slot]
        let list = f.pointee.list
        guard f.pointee.lastSeen &+ timeout(of: list) < timestamp else { return false }
        finish(slot, list == FlowTable.closedList ? .closed : .idle)
        return true
    }

    /// The timeout of the flows on idle list `list`.
    @inline(__always)
    private func timeout(of list: UInt8) -> Int64 {
        listTimeouts[Int(list & 3)]
    }

    /// Makes room for one flow: finishes the oldest embryonic flow, else the oldest
    /// closed one lingering, else the oldest established one (Suricata's emergency
    /// mode also takes flows that never got going first).
    private func evictOne() {
        guard let s = table.oldest(FlowTable.embryonicList) ?? table.oldest(FlowTable.closedList)
                ?? table.oldest(FlowTable.openList) else { return }
        evicted &+= 1
        finish(s, .evicted)
    }

    private func lookupOrCreate(_ key: FlowKey, _ p: DecodedPacket, _ frame: UnsafeRawBufferPointer, fromA: Bool, timestamp: Int64) -> Int32 {
        let hash = key.hashValue64
        if let s = table.find(key, hash: hash), !finishedIfStale(s, at: timestamp) { return s }
        return create(key, hash: hash, p, frame, fromA: fromA, timestamp: timestamp)
    }

    private func create(_ key: FlowKey, hash: UInt64, _ p: DecodedPacket, _ frame: UnsafeRawBufferPointer, fromA: Bool, timestamp: Int64) -> Int32 {
        // Orientation (SCENARIO.md "Client and server").
        var senderIsClient = true
        if p.proto == IPProtocol.tcp && p.hasPorts && p.tcpFlags & TCPFlags.syn != 0 {
            senderIsClient = p.tcpFlags & TCPFlags.ack == 0
        } else if p.hasPorts && !key.orphanFragments {
            senderIsClient = !(ServicePorts.contains(p.srcPort) && !ServicePorts.contains(p.dstPort))
        }
        var state = FlowState(key: key, id: nextID, hash: hash, firstSeen: timestamp, lastSeen: timestamp,
                              clientIsA: senderIsClient == fromA, inspect: inspector.initialState(proto: key.proto, orphanFragments: key.orphanFragments))
        state.linkedAt = timestamp
        state.linkGroup = p.linkGroup
        // A TCP connection a control connection announced (FTP data) is named by that
        // announcement: its own bytes are a file's, with no framing to recognise.
        if _slowPath(table.details.announced.live) && key.proto == IPProtocol.tcp && p.hasPorts {
            table.details.announced.claim(&state.inspect, key.a, key.portA, key.b, key.portB, now: timestamp)
        }
        // The first packet's ICMP type and code, kept in the flow for its Community ID (a
        // field of the state: nothing allocated). The sender of that packet is the client.
        if (key.proto == IPProtocol.icmp || key.proto == IPProtocol.icmpv6) && !p.laterFragment,
           p.payloadLength >= 2, p.payloadOffset >= 0, p.payloadOffset + 2 <= frame.count {
            state.icmpType = frame[p.payloadOffset]
            state.icmpCode = frame[p.payloadOffset + 1]
            state.icmpSeen = true
        }
        nextID += 1
        nextExpiry = min(nextExpiry, timestamp &+ timeouts.embryonicInForce)
        if table.count >= timeouts.maxFlows { evictOne() }
        return table.insert(state, list: FlowTable.embryonicList)
    }

    private func finish(_ slot: Int32, _ reason: FinishReason) {
        let f = table[slot]
        inspector.conclude(&f.pointee.inspect)
        f.pointee.finish = reason
        onFinish(f, table.existingDetails(slot), reason)
        table.remove(slot)
    }
}
