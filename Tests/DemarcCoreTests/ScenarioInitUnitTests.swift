import Testing
@testable import DemarcCore

/// How `scenario init` bounds its rules: at most 30 per segment, at most 12 port
/// entries per rule, and nothing seen left out by either bound.
@Suite struct ScenarioInitUnitTests {
    typealias S = ScenarioInit.Service

    @Test func portsMergeAcrossTheSmallestGaps() {
        let services = Set((0..<40).map { S(transport: "tcp", low: 1000 + $0 * 10, high: 1000 + $0 * 10) }
            + [S(transport: "udp", low: 53, high: 53), S(transport: "udp", low: 54, high: 54), S(transport: "icmp", low: 0, high: 65535)])
        let ports = ScenarioInit.ports(services)
        #expect(ports.count <= ScenarioInit.maxPorts)
        #expect(ports.contains("icmp") && ports.contains("udp/53-54"))
        // Every port seen stays inside an entry.
        let tcp = ports.filter { $0.hasPrefix("tcp/") }.map { $0.dropFirst(4).split(separator: "-").map { Int($0)! } }
        for p in 0..<40 {
            let port = 1000 + p * 10
            #expect(tcp.contains { port >= $0[0] && port <= ($0.count == 2 ? $0[1] : $0[0]) }, "tcp/\(port) left out")
        }
        #expect(ScenarioInit.ports([S(transport: "any", low: 0, high: 65535), S(transport: "tcp", low: 1, high: 1)]) == ["any"])
    }

    @Test func atMostThirtyRulesLargestFirst() {
        var items: [(from: String, to: String, pair: ScenarioInit.Pair)] = []
        for i in 0..<45 {
            var p = ScenarioInit.Pair()
            p.tally.flows = 1
            p.tally.bytes = UInt64(1000 - i)
            p.tally.first = 0; p.tally.last = 1
            p.services[S(transport: "tcp", low: 100 + i, high: 100 + i)] = p.tally
            items.append(("z\(i)", "internet", p))
        }
        let rules = ScenarioInit.rules(items.reversed())
        #expect(rules.count == ScenarioInit.maxRules)
        #expect(rules[0].from == ["z0"] && rules[28].from == ["z28"])
        let last = rules[29]
        #expect(last.from.count == 16 && last.to == ["internet"] && last.tally.flows == 16)
        #expect(last.ports == ["tcp/129-144"])
    }
}
