import Testing
@testable import DemarcCore
@testable import DemarcFlows
@testable import DemarcInspect

/// Per-state timeouts and the flow cap (issue 35: bounded under floods).
@Suite struct FloodBoundTests {
    typealias F = PacketFactory
    let syn = TCPFlags.syn, synAck = TCPFlags.syn | TCPFlags.ack, ack = TCPFlags.ack

    /// A client's SYN, the server's SYN-ACK and the client's ACK, a microsecond apart
    /// from `at`, between `client`:40000 and 10.0.9.1:80 (`ack: false` stops after the
    /// SYN-ACK).
    private func handshake(_ h: FlowHarness, _ client: String, at: Int64, ack complete: Bool = true) {
        h.feed(F.tcp4(client, 40000, "10.0.9.1", 80, flags: syn), at: at)
        h.feed(F.tcp4("10.0.9.1", 80, client, 40000, flags: synAck), at: at + 1)
        if complete { h.feed(F.tcp4(client, 40000, "10.0.9.1", 80, flags: ack), at: at + 2) }
    }

    /// A SYN with no answer, a SYN answered by a SYN-ACK only and a one-packet UDP flow
    /// expire after the embryonic timeout; a completed handshake, a connection picked up
    /// midway (both sides sending) and a UDP flow with an answer keep the idle timeout.
    @Test func embryonicFlowsExpireAfterTheirOwnTimeout() {
        let h = FlowHarness()   // idle 300 s, embryonic 30 s
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.9.1", 80, flags: syn), at: 0)
        handshake(h, "10.0.0.2", at: 0, ack: false)
        h.feed(F.udp4("10.0.0.3", 5000, "10.0.9.1", 53, payload: [1]), at: 0)
        handshake(h, "10.0.0.4", at: 0)
        h.feed(F.tcp4("10.0.0.5", 40000, "10.0.9.1", 80, flags: ack), at: 0)
        h.feed(F.tcp4("10.0.9.1", 80, "10.0.0.5", 40000, flags: ack), at: 10)
        h.feed(F.udp4("10.0.0.6", 5000, "10.0.9.1", 53, payload: [1]), at: 0)
        h.feed(F.udp4("10.0.9.1", 53, "10.0.0.6", 5000, payload: [2]), at: 10)
        h.feed(F.udp4("10.0.0.99", 1, "10.0.9.99", 2, payload: [1]), at: 29_000_000)
        #expect(h.finished.isEmpty)
        h.feed(F.udp4("10.0.0.99", 1, "10.0.9.99", 2, payload: [1]), at: 31_000_000)
        #expect(Set(h.finished.map { $0.0.key.a.description }) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        #expect(h.finished.allSatisfy { $0.0.finish == .idle })
        #expect(h.tracker.activeFlows == 4)
        // The established ones go at the idle timeout.
        h.feed(F.udp4("10.0.0.99", 1, "10.0.9.99", 2, payload: [1]), at: 300_000_100)
        #expect(h.finished.count == 6 && h.tracker.activeFlows == 1)
    }

    /// The embryonic timeout never outlasts the idle timeout, and set equal to it the
    /// flows split as with one timeout.
    @Test func embryonicTimeoutIsCappedByIdle() {
        var t = FlowTimeouts()
        t.idle = 5_000_000
        let h = FlowHarness(timeouts: t)
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.9.1", 80, flags: syn), at: 0)
        h.feed(F.tcp4("10.0.0.1", 40000, "10.0.9.1", 80, flags: syn), at: 6_000_000)
        #expect(h.finished.count == 1)
        t.embryonic = t.idle
        let h2 = FlowHarness(timeouts: t)
        h2.feed(F.udp4("10.0.0.3", 5000, "10.0.9.1", 53, payload: [1]), at: 0)
        h2.feed(F.udp4("10.0.0.3", 5000, "10.0.9.1", 53, payload: [1]), at: 4_900_000)
        h2.feed(F.udp4("10.0.0.3", 5000, "10.0.9.1", 53, payload: [1]), at: 9_800_000)
        #expect(h2.finishAll().count == 1)
    }

    /// Past the cap, a new flow evicts the oldest embryonic flow first, then the oldest
    /// established one; evicted flows are finished as `.evicted` with what was seen, and
    /// the table never holds more than the cap.
    @Test func capEvictsEmbryonicFlowsFirstOldestFirst() {
        var t = FlowTimeouts()
        t.maxFlows = 3
        let h = FlowHarness(timeouts: t)
        // One established flow, then two SYN-only ones.
        handshake(h, "10.0.0.1", at: 0)
        h.feed(F.tcp4("10.0.0.2", 40000, "10.0.9.1", 80, flags: syn), at: 10)
        h.feed(F.tcp4("10.0.0.3", 40000, "10.0.9.1", 80, flags: syn), at: 20)
        h.feed(F.tcp4("10.0.0.4", 40000, "10.0.9.1", 80, flags: syn), at: 30)
        #expect(h.finished.map { $0.0.key.a.description } == ["10.0.0.2"])
        h.feed(F.tcp4("10.0.0.5", 40000, "10.0.9.1", 80, flags: syn), at: 40)
        #expect(h.finished.map { $0.0.key.a.description } == ["10.0.0.2", "10.0.0.3"])
        #expect(h.tracker.activeFlows == 3)
        // The two embryonic flows left answer and complete: the oldest established goes.
        for (i, a) in ["10.0.0.4", "10.0.0.5"].enumerated() {
            h.feed(F.tcp4("10.0.9.1", 80, a, 40000, flags: synAck), at: 50 + Int64(i))
            h.feed(F.tcp4(a, 40000, "10.0.9.1", 80, flags: ack), at: 60 + Int64(i))
        }
        h.feed(F.udp4("10.0.0.6", 5000, "10.0.9.1", 53, payload: [1]), at: 70)
        #expect(h.finished.map { $0.0.key.a.description } == ["10.0.0.2", "10.0.0.3", "10.0.0.1"])
        #expect(h.finished.allSatisfy { $0.0.finish == .evicted })
        #expect(h.finished[2].0.packetsAB + h.finished[2].0.packetsBA == 3)
        #expect(h.tracker.evicted == 3 && h.tracker.activeFlows == 3 && h.tracker.table.peakCount == 3)
        let rest = h.finishAll().suffix(3)
        #expect(rest.allSatisfy { $0.0.finish == .endOfInput })
    }

    /// A SYN flood far past the cap: the table stays at the cap, every flow is finished
    /// once, and the evictions are counted.
    @Test func floodStaysAtTheCap() {
        var t = FlowTimeouts()
        t.maxFlows = 1000
        let h = FlowHarness(timeouts: t)
        for i in 0..<20_000 {
            let a = "10.\(i >> 16).\((i >> 8) & 255).\(i & 255)"
            h.feed(F.tcp4(a, 40000, "10.200.0.1", 80, flags: syn), at: Int64(i))
        }
        #expect(h.tracker.activeFlows == 1000 && h.tracker.table.peakCount == 1000)
        #expect(h.tracker.evicted == 19_000)
        #expect(h.finishAll().count == 20_000)
    }

    @Test func capIsSharedAmongWorkers() {
        var t = FlowTimeouts()
        t.maxFlows = 7
        #expect(t.sharing(among: 2).maxFlows == 4)
        #expect(t.sharing(among: 1).maxFlows == 7)
        #expect(t.sharing(among: 16).maxFlows == 1)
        #expect(FlowTimeouts().sharing(among: 2).embryonic == FlowTimeouts().embryonic)
    }

    /// The fragment cache (4,096 datagrams) counts a datagram it forgets for a newer one
    /// only when its last fragment had not come: 6,000 whole fragmented datagrams cost
    /// nothing, 6,000 first fragments alone lose some, as many as they overwrite, and the
    /// rest when the flows end.
    @Test func forgottenFragmentsAreCounted() {
        let h = FlowHarness()
        let body = [UInt8](repeating: 0, count: 16)
        func first(_ id: Int) -> [UInt8] {
            F.ethernet(0x0800, F.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, body: body, id: UInt16(id), fragment: 0x2000))
        }
        for id in 0..<6000 {
            h.feed(first(id))
            h.feed(F.ethernet(0x0800, F.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, body: body, id: UInt16(id), fragment: 2)))
        }
        #expect(h.tracker.fragmentsForgotten == 0)
        for id in 6000..<12000 { h.feed(first(id)) }
        let forgotten = h.tracker.fragmentsForgotten
        #expect(forgotten > 0 && forgotten < 6000)
        // At the end the rest are forgotten too: every incomplete datagram, once.
        _ = h.finishAll()
        #expect(h.tracker.fragmentsForgotten == 6000)
    }

    /// The handshake buffers' budget: growth past the limit is refused, counted and its
    /// charge released; shrinking and giving back always succeed.
    @Test func handshakeBuffersShareOneBudget() {
        let budget = ReassemblyBudget(limit: 100)
        var a = 0, b = 0
        #expect(budget.charge(60, from: &a) && budget.held == 60)
        #expect(!budget.charge(50, from: &b) && b == 0 && budget.held == 60 && budget.givenUp == 1)
        #expect(budget.charge(70, from: &a) && budget.held == 70)
        #expect(budget.charge(30, from: &b) && budget.held == 100)
        #expect(!budget.charge(71, from: &a) && a == 0 && budget.held == 30 && budget.givenUp == 2)
        #expect(budget.charge(0, from: &b) && budget.held == 0)
        #expect(FlowDetailsStore().reassembly.limit == ReassemblyBudget.defaultLimit)
    }
}
