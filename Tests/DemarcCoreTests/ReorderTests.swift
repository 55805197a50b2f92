import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

@Suite struct ReorderTests {
    func record(_ id: UInt64) -> FlowRecord {
        FlowRecord(id: id, transport: "udp", ipVersion: 4,
                   client: .init(address: IPAddress(v4: 0x0101_0101), port: 1, zone: "z", node: nil),
                   server: .init(address: IPAddress(v4: 0x0202_0202), port: 2, zone: "z", node: nil),
                   firstSeen: 0, lastSeen: 0, packetsToServer: 1, packetsToClient: 0, bytesToServer: 1, bytesToClient: 0,
                   application: nil,
                   encryption: .init(state: .unknown, protocolName: nil, version: nil, basis: .none, sni: nil, certificate: nil, upgraded: false, weak: nil),
                   segment: .external, responsible: .customer, rule: nil, findings: [], finish: .idle)
    }

    @Test func releasesInFirstPacketOrder() {
        var b = ReorderBuffer<FlowRecord>()
        var out: [UInt64] = []
        for id: UInt64 in [3, 1, 2, 5, 4] { b.add(record(id)) { out.append($0.id) } }
        #expect(out == [1, 2, 3, 4, 5])
    }

    @Test func aLongLivedFlowDoesNotHoldEverything() {
        var b = ReorderBuffer<FlowRecord>(limit: 10)
        var out: [UInt64] = []
        for id: UInt64 in 2...30 { b.add(record(id)) { out.append($0.id) } }
        #expect(out.count >= 19)
        b.add(record(1)) { out.append($0.id) }
        b.flush { out.append($0.id) }
        #expect(out.sorted() == Array(1...30))
    }

    /// Open flows between finished ones take no room: only finished flows count toward
    /// the limit, so a capture with many open flows keeps its strict id order.
    @Test func openFlowsInBetweenDoNotForceARelease() {
        var b = ReorderBuffer<FlowRecord>(limit: 10)
        var out: [UInt64] = []
        for id: UInt64 in stride(from: 100_000, through: 1_000_000, by: 100_000) { b.add(record(id)) { out.append($0.id) } }
        #expect(out.isEmpty)
        b.add(record(1)) { out.append($0.id) }
        #expect(out == [1])
        b.flush { out.append($0.id) }
        #expect(out == [1] + Array(stride(from: 100_000, through: 1_000_000, by: 100_000)))
    }
}
