import Testing
@testable import DemarcScenario
@testable import DemarcBase

/// The scenario's own findings (SCENARIO.md, "What a scenario allows").
@Suite struct SimulationFindingTests {
    static let base = """
    scenario: sim-test
    nodes:
      edge-1: {role: edge, addresses: [203.0.113.10]}
      gw-1: {role: gateway, addresses: [198.51.100.20]}
    zones:
      edge-range: {owner: customer, cidrs: [203.0.113.0/24]}
      app: {owner: customer, cidrs: [172.16.5.0/24], via: gw-1}
      internet: {owner: external, cidrs: [0.0.0.0/0]}
    """

    static func findings(_ filters: String) throws -> [ScenarioFinding] {
        Simulation.run(try ScenarioLoader.parse(Self.base + "\n" + filters, source: "t.yaml")).findings
    }

    @Test func gatewayOpenToAnyNamesItsRuleAndFails() throws {
        let sim = Simulation.run(try ScenarioLoader.parse(Self.base + """

        filters:
          egress: {rules: []}
          transit: {rules: []}
          ingress:
            rules:
              - {name: edges, from: [edge-range], to: [gw-1], ports: [tcp/443]}
              - {name: anyone, from: [any], to: [gw-1], ports: [tcp/443]}
        """, source: "t.yaml"))
        let open = sim.findings.filter { $0.code == "gateway-ingress-open" }
        #expect(open.count == 1 && open[0].rule?.name == "anyone" && open[0].rule?.line == 15 && open[0].place == "gw-1")
        #expect(sim.fails(at: Severity.high))
        #expect(!sim.findings.contains { $0.code == "shadowed-rule" })
    }

    @Test func shadowingIsExact() throws {
        let f = try Self.findings("""
        filters:
          egress: {rules: []}
          transit: {rules: []}
          ingress:
            rules:
              - {name: wide, from: [edge-range], to: [gw-1], ports: [tcp/400-500]}
              - {name: covered, from: [203.0.113.0/25], to: [gw-1], ports: [tcp/443]}
              - {name: partly, from: [edge-range], to: [gw-1], ports: [tcp/450-600]}
        """)
        let shadowed = f.filter { $0.code == "shadowed-rule" }
        #expect(shadowed.map { $0.rule!.name } == ["covered"])
        #expect(shadowed.first?.message.contains("'wide'") == true)
        #expect(!f.contains { $0.code == "gateway-ingress-open" })
    }

    @Test func missingFiltersAndDefaultAllow() throws {
        let f = try Self.findings("""
        filters:
          egress: {default: allow}
        """)
        #expect(f.contains { $0.code == "unfiltered-segment" && $0.segment == Segment.ingress })
        #expect(f.contains { $0.code == "unfiltered-segment" && $0.segment == Segment.transit })
        #expect(f.contains { $0.code == "broad-rule" && $0.rule?.name == "default" && $0.rule?.line == 10 })
        #expect(f.contains { $0.code == "gateway-ingress-open" && $0.rule == nil })
    }
}
