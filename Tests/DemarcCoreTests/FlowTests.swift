import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

@Suite struct FlowTests {
    typealias F = PacketFactory
    let syn = TCPFlags.syn, synAck = TCPFlags.syn | TCPFlags.ack, ack = TCPFlags.ack
    let fin = TCPFlags.fin | TCPFlags.ack, rst = TCPFlags.rst

    /// A pool that outgrows its reserved address space moves to malloc's memory with every
    /// flow kept, and is given back as it was taken (unmapped, then freed).
    @Test func poolOutgrowsItsReservation() {
        var table: FlowTable? = FlowTable(initialCapacity: 16, reserving: 16)
        var slots: [Int32] = []
        for i in 0..<100 {
            var p = DecodedPacket()
            p.src = IPAddress(v4: 0x0a00_0000 | UInt32(i)); p.dst = IPAddress(v4: 0x0a01_0001)
            p.proto = IPProtocol.udp; p.ipVersion = 4; p.hasPorts = true; p.srcPort = 5000; p.dstPort = 53
            var fromA = true
            let key = FlowKey(packet: p, usePorts: true, fromA: &fromA)
            let state = FlowState(key: key, id: UInt64(i + 1), hash: key.hashValue64, firstSeen: 0, lastSeen: 0, clientIsA: fromA,
                                  inspect: InspectState())
            slots.append(table!.insert(state))
        }
        #expect(table!.count == 100)
        for (i, s) in slots.enumerated() {
            #expect(table![s].pointee.id == UInt64(i + 1))
            #expect(table!.find(table![s].pointee.key, hash: table![s].pointee.hash) == s)
        }
        table = nil
    }

    @Test func synSenderIsClientAndCountsEachWay() {
        let h = FlowHarness()
        h.feed(F.tcp4("203.0.113.5", 443, "10.0.0.1", 50000, flags: 0x18), at: 1) // unrelated flow first
        h.feed(F.tcp4("10.0.0.9", 51000, "198.51.100.1", 80, flags: syn), at: 2)
        h.feed(F.tcp4("198.51.100.1", 80, "10.0.0.9", 51000, flags: synAck), at: 3)
        h.feed(F.tcp4("10.0.0.9", 51000, "198.51.100.1", 80, flags: ack, payload: [1, 2, 3]), at: 4)
        let flows = h.finishAll()
        #expect(flows.count == 2)
        let f = flows[1].0
        #expect(f.id == 2)
        let clientIsNine = f.clientIsA ? f.key.a == IPAddress("10.0.0.9")! : f.key.b == IPAddress("10.0.0.9")!
        #expect(clientIsNine)
        #expect(f.packetsToServer == 2 && f.packetsToClient == 1)
        #expect(f.bytesToServer == UInt64(54 + 54 + 3))
        #expect(f.firstSeen == 2 && f.lastSeen == 4)
    }

    @Test func synAckOnlyMakesItsReceiverTheClient() {
        let h = FlowHarness()
        h.feed(F.tcp4("198.51.100.1", 8443, "10.0.0.9", 40000, flags: synAck))
        let f = h.finishAll()[0].0
        let client = f.clientIsA ? f.key.a : f.key.b
        #expect(client == IPAddress("10.0.0.9")!)
    }

    @Test func responseSeenFirstIsOrientedByServicePort() {
        let h = FlowHarness()
        // A DNS response seen first: from a service port to a non-service port.
        h.feed(F.udp4("192.0.2.53", 53, "10.0.0.7", 40001, payload: [0, 1]))
        // Both ports ephemeral: the first sender is the client.
        h.feed(F.udp4("10.0.0.7", 40002, "192.0.2.9", 40003, payload: [0]))
        // Registered service port above 1024 (PostgreSQL).
        h.feed(F.tcp4("192.0.2.10", 5432, "10.0.0.7", 50123, flags: ack, payload: [1]))
        let flows = h.finishAll().map(\.0)
        func client(_ f: FlowState) -> (IPAddress, UInt16) { f.clientIsA ? (f.key.a, f.key.portA) : (f.key.b, f.key.portB) }
        #expect(client(flows[0]) == (IPAddress("10.0.0.7")!, 40001))
        #expect(client(flows[1]) == (IPAddress("10.0.0.7")!, 40002))
        #expect(client(flows[2]) == (IPAddress("10.0.0.7")!, 50123))
    }

    @Test func reopenedConnectionIsANewFlow() {
        let h = FlowHarness()
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 22, flags: syn, seq: 100), at: 1)
        h.feed(F.tcp4("10.0.0.2", 22, "10.0.0.1", 40000, flags: synAck, seq: 900), at: 2)
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 22, flags: fin, seq: 101), at: 3)
        h.feed(F.tcp4("10.0.0.2", 22, "10.0.0.1", 40000, flags: fin, seq: 901), at: 4)
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 22, flags: ack, seq: 102), at: 5)
        // SYN retransmission would keep the flow; a new ISN starts a new one.
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 22, flags: syn, seq: 5000), at: 6)
        h.feed(F.tcp4("10.0.0.2", 22, "10.0.0.1", 40000, flags: synAck, seq: 7000), at: 7)
        let flows = h.finishAll().map(\.0)
        #expect(flows.count == 2)
        #expect(flows[0].packetsAB + flows[0].packetsBA == 5)
        #expect(flows[1].packetsAB + flows[1].packetsBA == 2)
        #expect(flows[1].firstSeen == 6)
    }

    @Test func synRetransmissionStaysInTheFlow() {
        let h = FlowHarness()
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 443, flags: syn, seq: 100), at: 1)
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 443, flags: syn, seq: 100), at: 2)
        #expect(h.finishAll().count == 1)
    }

    @Test func idleAndClosedFlowsAreFinishedAsTimePasses() {
        var t = FlowTimeouts()
        t.idle = 10_000_000
        t.linger = 1_000_000
        let h = FlowHarness(timeouts: t)
        h.feed(F.udp4("10.0.0.1", 5000, "10.0.0.2", 53, payload: [1]), at: 0)
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.0.2", 80, flags: syn), at: 1)
        h.feed(F.tcp4("10.0.0.2", 80, "10.0.0.1", 40000, flags: rst), at: 2)
        #expect(h.finished.isEmpty)
        h.feed(F.udp4("10.0.0.3", 5000, "10.0.0.4", 53, payload: [1]), at: 3_000_000)
        #expect(h.finished.count == 1)  // the reset TCP flow, after its linger
        h.feed(F.udp4("10.0.0.3", 5000, "10.0.0.4", 53, payload: [1]), at: 12_000_000)
        #expect(h.finished.count == 2)  // the first UDP flow went idle
        #expect(h.tracker.activeFlows == 1)
    }

    /// Flows keep their place on the idle list until an eighth of the timeout has passed
    /// (no relinking on every packet). Expiry may then find a younger flow at the head:
    /// a flow behind it is finished at most an eighth of its timeout late, and a packet
    /// that finds a flow idle past its timeout before expiry did still starts a new one.
    @Test func idleListRelinksLazilyButSplitsExactly() {
        var t = FlowTimeouts()
        t.idle = 8_000_000   // an eighth: 1 s
        let x = F.udp4("10.0.0.1", 5000, "10.0.0.2", 53, payload: [1])
        let a = F.udp4("10.0.0.3", 5000, "10.0.0.4", 53, payload: [1])
        let y = F.udp4("10.0.0.5", 5000, "10.0.0.6", 53, payload: [1])
        // X and A get going (a second packet moves each to the established list, X
        // first); X's third packet (0.9 s on) does not move it, so the head is younger
        // than A behind it.
        let h = FlowHarness(timeouts: t)
        h.feed(x, at: 0)
        h.feed(x, at: 50)
        h.feed(a, at: 100)
        h.feed(a, at: 150)
        h.feed(x, at: 900_000)
        // A's next packet comes 8 s and a bit after its last: expiry stopped at X (not
        // yet idle), but the packet finds A stale, finishes it and starts a new flow.
        h.feed(a, at: 8_100_101)
        #expect(h.finished.map { $0.0.key.a.description } == ["10.0.0.3"])
        #expect(h.finished.first.map { $0.0.packetsAB + $0.0.packetsBA } == 2)
        #expect(h.tracker.activeFlows == 2)
        // Without that packet, A is finished once X is: under an eighth of its timeout late.
        let h2 = FlowHarness(timeouts: t)
        h2.feed(x, at: 0)
        h2.feed(x, at: 50)
        h2.feed(a, at: 100)
        h2.feed(a, at: 150)
        h2.feed(x, at: 900_000)
        h2.feed(y, at: 8_100_101)
        #expect(h2.finished.isEmpty)
        h2.feed(y, at: 8_950_000)
        #expect(Set(h2.finished.map { $0.0.key.a.description }) == ["10.0.0.1", "10.0.0.3"])
        // Memory stays bounded: with no packet for longer than the timeout, all expire.
        let h3 = FlowHarness(timeouts: t)
        for i in 0..<100 { h3.feed(F.udp4("10.1.0.\(i)", 5000, "10.0.0.2", 53, payload: [1]), at: Int64(i) * 10_000) }
        h3.feed(y, at: 9_200_000)
        #expect(h3.finished.count == 100 && h3.tracker.activeFlows == 1)
    }

    @Test func laterFragmentsCountInTheirFlowApart() {
        let h = FlowHarness()
        let body = F.udp(sport: 5353, dport: 53, payload: [UInt8](repeating: 7, count: 16))
        h.feed(F.ethernet(0x0800, F.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, body: body, id: 9, fragment: 0x2000)))
        h.feed(F.ethernet(0x0800, F.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, body: [1, 2, 3, 4, 5, 6, 7, 8], id: 9, fragment: 3)))
        // A later fragment whose first was never seen gets a flow of its own.
        h.feed(F.ethernet(0x0800, F.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, body: [1, 2, 3, 4, 5, 6, 7, 8], id: 10, fragment: 3)))
        let flows = h.finishAll().map(\.0)
        #expect(flows.count == 2)
        #expect(flows[0].packetsAB + flows[0].packetsBA == 1 && flows[0].fragmentPackets == 1)
        #expect(flows[1].key.orphanFragments)
    }

    @Test func tableSurvivesChurn() {
        // Many flows created and removed: the index must keep finding the live ones.
        var t = FlowTimeouts()
        t.idle = 1_000
        let h = FlowHarness(timeouts: t)
        var rng = SplitMix(seed: 7)
        for i in 0..<50_000 {
            let a = UInt32(truncatingIfNeeded: rng.next() % 5000)
            let src = "10.\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)"
            h.feed(F.udp4(src, UInt16(1024 + a % 1000), "192.0.2.1", 53, payload: [1]), at: Int64(i) * 100)
        }
        let total = h.finishAll().reduce(0) { $0 + $1.0.packetsAB + $1.0.packetsBA }
        #expect(total == 50_000)
        #expect(h.tracker.activeFlows == 0)
    }
}
