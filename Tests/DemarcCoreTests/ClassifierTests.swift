import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

/// First-match filter semantics through the port index: rules naming single ports and
/// rules that apply to any port (or a range, or a transport alone) interleave in the
/// scenario's order, whichever way they are looked up.
@Suite struct ClassifierTests {
    static func port(_ proto: UInt8, _ low: UInt16, _ high: UInt16? = nil) -> PortMatch {
        PortMatch(proto: proto, low: low, high: high ?? low, text: "\(proto)/\(low)")
    }

    static let scenario = Scenario(
        name: "rules", source: "test",
        filters: [.external: FilterSet(defaultAction: .deny, rules: [
            Rule(name: "https", ports: [port(IPProtocol.tcp, 443)]),
            Rule(name: "web-range", ports: [port(IPProtocol.tcp, 8000, 8999)]),
            Rule(name: "no-telnet", action: .deny, ports: [port(IPProtocol.tcp, 23)]),
            Rule(name: "dns", ports: [port(IPProtocol.udp, 53), port(IPProtocol.tcp, 53)]),
            Rule(name: "icmp", ports: [PortMatch(proto: IPProtocol.icmp, low: 0, high: 65535, text: "icmp")]),
            Rule(name: "https-again", ports: [port(IPProtocol.tcp, 443)]),
            Rule(name: "anything-to-doc-net", to: [.prefix(CIDR("192.0.2.0/24")!)]),
            Rule(name: "tcp-9443", ports: [port(IPProtocol.tcp, 9443)]),
        ])])

    static func rule(_ proto: UInt8, _ port: UInt16?, to server: String = "198.51.100.7") -> String? {
        let c = Classifier(scenario: scenario)
        let facts = FlowFacts(client: IPAddress(v4: 0x0a00_0001), server: CIDR(server + "/32")!.address,
                              clientPort: port == nil ? nil : 40_000, serverPort: port, proto: proto, state: .unknown)
        return c.classify(facts).rule?.name
    }

    @Test func firstMatchingRuleWinsAcrossIndexedAndGeneralRules() {
        #expect(Self.rule(IPProtocol.tcp, 443) == "https")
        #expect(Self.rule(IPProtocol.tcp, 8080) == "web-range")
        #expect(Self.rule(IPProtocol.tcp, 23) == "no-telnet")
        #expect(Self.rule(IPProtocol.udp, 53) == "dns")
        #expect(Self.rule(IPProtocol.tcp, 53) == "dns")
        #expect(Self.rule(IPProtocol.udp, 443) == nil)
        #expect(Self.rule(IPProtocol.icmp, nil) == "icmp")
        // A general rule listed before a port rule wins for the addresses it names…
        #expect(Self.rule(IPProtocol.tcp, 9443, to: "192.0.2.9") == "anything-to-doc-net")
        // …and the port rule after it takes the rest.
        #expect(Self.rule(IPProtocol.tcp, 9443) == "tcp-9443")
        #expect(Self.rule(IPProtocol.tcp, 8443) == "web-range")
        #expect(Self.rule(IPProtocol.tcp, 9999) == nil)
    }
}
