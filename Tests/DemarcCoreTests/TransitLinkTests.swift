import Testing
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcInspect
@testable import DemarcScenario

/// SCENARIO.md's transit, link and per-rule duties, one rule at a time, on a managed
/// branch: a branch LAN behind edge-1, an application subnet behind gw-1, the internet
/// reached through gw-1 (a central breakout), and a customer zone without `via`.
@Suite struct TransitLinkTests {
    static let yaml = """
    scenario: managed-branch-test
    nodes:
      edge-1: {role: edge, addresses: [10.1.0.1, 203.0.113.10]}
      gw-1: {role: gateway, addresses: [198.51.100.20]}
    zones:
      branch-lan: {owner: customer, cidrs: [10.1.0.0/24], via: edge-1}
      branch-b: {owner: customer, cidrs: [10.2.0.0/24], via: edge-1}
      app-subnet: {owner: customer, cidrs: [172.16.5.0/24], via: gw-1}
      office: {owner: customer, cidrs: [192.168.9.0/24]}
      portal: {owner: provider, cidrs: [35.171.100.0/24]}
      internet: {owner: external, cidrs: [0.0.0.0/0, "::/0"], via: gw-1}
    """

    static func classifier(_ extra: String = "") throws -> Classifier {
        Classifier(scenario: try ScenarioLoader.parse(yaml + "\n" + extra, source: "test.yaml"), asOfDay: 0)
    }

    static func facts(_ c: String, _ s: String, port: UInt16? = 443, proto: UInt8 = IPProtocol.tcp,
                      state: EncryptionState = .encrypted, group: Bool = false) -> FlowFacts {
        var f = FlowFacts(client: IPAddress(c)!, server: IPAddress(s)!, clientPort: port == nil ? nil : 50_000,
                          serverPort: port, proto: proto, state: state)
        f.linkGroup = group
        return f
    }

    static func codes(_ c: Classification) -> [String] { c.findings.map(\.code).sorted() }

    @Test func transitEntersAtTheClientZonesViaAndLeavesAtTheServers() throws {
        let c = try Self.classifier()
        let r = c.classify(Self.facts("10.1.0.7", "172.16.5.9"))
        #expect(r.segment == .transit)
        #expect(r.path == TransitPath(enters: "edge-1", leaves: "gw-1"))
        #expect(r.responsible == .customer)
        // Central breakout: the internet's zone is reached through gw-1.
        #expect(c.classify(Self.facts("10.1.0.7", "8.8.8.8")).path == TransitPath(enters: "edge-1", leaves: "gw-1"))
        // Between two zones behind one node, the flow enters and leaves at that node.
        #expect(c.classify(Self.facts("10.1.0.7", "10.2.0.7")).path == TransitPath(enters: "edge-1", leaves: "edge-1"))
    }

    @Test func transitNeedsAViaOnOneEndAndTwoPlaces() throws {
        let c = try Self.classifier()
        // Only the server's zone has `via`: it enters and leaves there.
        let r = c.classify(Self.facts("192.168.9.4", "172.16.5.9"))
        #expect(r.segment == .transit && r.path == TransitPath(enters: "gw-1", leaves: "gw-1"))
        // Both ends in one zone: never carried by the provider.
        #expect(c.classify(Self.facts("10.1.0.7", "10.1.0.8")).segment == .external)
        // No `via` on either place.
        let plain = try ScenarioLoader.parse("scenario: x\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8]}\n", source: "x")
        #expect(Classifier(scenario: plain).classify(Self.facts("10.1.0.7", "8.8.8.8")).segment == .external)
        // A node on either end decides first: internal, egress, ingress.
        #expect(c.classify(Self.facts("10.1.0.1", "172.16.5.9")).segment == .egress)
        #expect(c.classify(Self.facts("10.1.0.7", "198.51.100.20")).segment == .ingress)
        #expect(c.classify(Self.facts("10.1.0.7", "35.171.100.4")).segment == .ingress)
        #expect(c.classify(Self.facts("10.1.0.7", "35.171.100.4")).path == nil)
    }

    @Test func transitIsEncryptedByDefaultAndFilteredWhereFiltersSaySo() throws {
        let c = try Self.classifier()
        let clear = c.classify(Self.facts("10.1.0.7", "172.16.5.9", port: 80, state: .cleartext))
        #expect(Self.codes(clear) == ["unencrypted-transit"])
        #expect(clear.findings.first?.severity == .high)
        #expect(Self.codes(c.classify(Self.facts("10.1.0.7", "172.16.5.9", state: .unknown))) == ["unverified-encryption"])
        let optional = try Self.classifier("encryption: {transit: optional}")
        #expect(Self.codes(optional.classify(Self.facts("10.1.0.7", "172.16.5.9", port: 80, state: .cleartext))).isEmpty)

        let filtered = try Self.classifier("filters:\n  transit:\n    rules:\n      - {name: web, ports: [tcp/443]}\n")
        #expect(filtered.classify(Self.facts("10.1.0.7", "172.16.5.9")).rule?.name == "web")
        let unfiltered = filtered.classify(Self.facts("10.1.0.7", "172.16.5.9", port: 22))
        #expect(Self.codes(unfiltered) == ["unfiltered-transit"])
        #expect(unfiltered.findings.first?.severity == .medium)
    }

    @Test func aNodeNameInTransitRulesMatchesWhereTheFlowEntersAndLeaves() throws {
        let c = try Self.classifier("""
        filters:
          transit:
            rules:
              - {name: via-gw, from: [gw-1], to: [edge-1]}
              - {name: edge-to-gw, from: [edge-1], to: [gw-1], ports: [tcp/443]}
              - {name: by-address, from: [10.1.0.1], ports: [tcp/8443]}
        """)
        #expect(c.classify(Self.facts("10.1.0.7", "172.16.5.9")).rule?.name == "edge-to-gw")
        #expect(c.classify(Self.facts("172.16.5.9", "10.1.0.7")).rule?.name == "via-gw")
        // An address names only the flow's own addresses, never the node it passes.
        #expect(c.classify(Self.facts("10.1.0.7", "172.16.5.9", port: 8443)).rule == nil)
        // `accept` matches transit flows the same way.
        let a = try Self.classifier("""
        accept:
          - {finding: unencrypted-transit, from: [edge-1], to: [gw-1], owner: net, reason: r, until: 2099-01-01}
        """)
        let f = a.classify(Self.facts("10.1.0.7", "172.16.5.9", port: 80, state: .cleartext))
        #expect(f.findings.first?.accepted?.owner == "net")
    }

    @Test func linkByAddressAndByTheLinkLayersGroupBit() throws {
        let c = try Self.classifier()
        for (client, server) in [("10.1.0.7", "255.255.255.255"), ("0.0.0.0", "255.255.255.255"), ("10.1.0.7", "224.0.0.251"),
                                 ("fe80::1", "ff02::fb"), ("169.254.1.1", "169.254.9.9"), ("fe80::1", "fe80::2"), ("::", "ff02::2")] {
            #expect(c.classify(Self.facts(client, server, port: 53, proto: IPProtocol.udp)).segment == .link, "\(client) → \(server)")
        }
        // A directed broadcast is link only by its link-layer destination.
        #expect(c.classify(Self.facts("10.1.0.7", "10.1.0.255", port: 137, proto: IPProtocol.udp)).segment == .external)
        #expect(c.classify(Self.facts("10.1.0.7", "10.1.0.255", port: 137, proto: IPProtocol.udp, group: true)).segment == .link)
        // Link comes first, before internal/egress/ingress: a node's announcement too.
        #expect(c.classify(Self.facts("10.1.0.1", "224.0.0.1", port: nil, proto: IPProtocol.igmp)).segment == .link)
        // One link-local end alone is not link.
        #expect(c.classify(Self.facts("169.254.1.1", "8.8.8.8")).segment != .link)
    }

    @Test func linkPartyIsTheOwnerOfTheNonGroupEndsPlace() throws {
        let c = try Self.classifier()
        // A node (provider-operated) sends to broadcast: the provider's.
        #expect(c.classify(Self.facts("10.1.0.1", "255.255.255.255", port: 68, proto: IPProtocol.udp)).responsible == .provider)
        // Discovery from 0.0.0.0: the server's place decides (here a broadcast: both are
        // group or unspecified, so the client's, `unknown`: customer).
        #expect(c.classify(Self.facts("0.0.0.0", "255.255.255.255", port: 67, proto: IPProtocol.udp)).responsible == .customer)
        #expect(c.classify(Self.facts("0.0.0.0", "10.1.0.1", port: 67, proto: IPProtocol.udp)).responsible == .provider)
        #expect(c.classify(Self.facts("35.171.100.4", "224.0.0.5", port: nil, proto: 89)).responsible == .provider)
        #expect(c.classify(Self.facts("10.1.0.7", "224.0.0.251", port: 5353, proto: IPProtocol.udp)).responsible == .customer)
        let set = try Self.classifier("responsibility: {link: shared}")
        #expect(set.classify(Self.facts("10.1.0.1", "255.255.255.255", port: 68, proto: IPProtocol.udp)).responsible == .shared)
    }

    @Test func linkIsJudgedByNeitherEncryptionNorFiltersButCredentialsHold() throws {
        let c = try Self.classifier("""
        encryption: {external: required}
        filters:
          external: {default: deny}
        """)
        var f = Self.facts("10.1.0.7", "224.0.0.251", port: 5353, proto: IPProtocol.udp, state: .cleartext)
        f.weak = true
        let r = c.classify(f)
        #expect(r.segment == .link && r.rule == nil && r.findings.isEmpty)
        f.credentials = [Credential(kind: .snmpCommunity, user: nil)]
        let withSecret = c.classify(f)
        #expect(Self.codes(withSecret) == ["cleartext-credentials"])
        #expect(withSecret.findings.first?.party == .customer)
    }

    @Test func aRulesResponsibleMovesJustTheFlowsItMatches() throws {
        let c = try Self.classifier("""
        filters:
          egress:
            rules:
              - {name: router-dns, from: [edge-1], to: [branch-lan], ports: [udp/53], responsible: provider}
              - {name: lan, from: [edge-1], to: [branch-lan]}
        """)
        let dns = c.classify(Self.facts("10.1.0.1", "10.1.0.7", port: 53, proto: IPProtocol.udp, state: .cleartext))
        #expect(dns.responsible == .provider)
        #expect(dns.rule?.responsible == .provider)
        #expect(dns.findings.map(\.party) == [.provider])
        #expect(Self.codes(dns) == ["unencrypted-egress"])
        let other = c.classify(Self.facts("10.1.0.1", "10.1.0.7", port: 80, state: .cleartext))
        #expect(other.responsible == .customer && other.rule?.responsible == nil)
        #expect(other.findings.map(\.party) == [.customer])
    }

    @Test func badViaResponsibleAndLinkKeysAreLocated() {
        func error(_ extra: String) -> String? {
            do { _ = try ScenarioLoader.parse(Self.yaml + "\n" + extra, source: "s.yaml"); return nil } catch {
                return "\(error)"
            }
        }
        let via = error("  lan2: {owner: customer, cidrs: [10.3.0.0/24], via: app-subnet}")
        #expect(via?.contains("s.yaml:12:54:") == true && via?.contains("names no node") == true, "\(via ?? "accepted")")
        let responsible = error("filters:\n  egress:\n    rules:\n      - {name: x, responsible: isp}")
        #expect(responsible?.contains("s.yaml:15:32:") == true && responsible?.contains("provider, customer or shared") == true,
                "\(responsible ?? "accepted")")
        #expect(error("encryption: {link: required}")?.contains("unknown key 'link'") == true)
        #expect(error("filters:\n  link: {default: deny}")?.contains("unknown key 'link'") == true)
        #expect(error("responsibility: {transit: provider, link: customer}") == nil)
    }
}
