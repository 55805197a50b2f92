import Foundation
import Testing

/// Transit, link traffic and per-rule duties (issue 28) as every format shows them, on a
/// small branch: DHCP, mDNS and a directed broadcast on the LAN, the router's DNS
/// forwarder (a `responsible: provider` rule), and a LAN host reaching an application
/// subnet through the provider's nodes.
@Suite struct TransitCLITests {
    static let scenario = """
    scenario: branch
    provider: Example Networks
    nodes:
      edge-1: {role: edge, addresses: [10.1.0.1]}
      gw-1: {role: gateway, addresses: [198.51.100.20]}
    zones:
      branch-lan: {owner: customer, cidrs: [10.1.0.0/24], via: edge-1}
      app-subnet: {owner: customer, cidrs: [172.16.5.0/24], via: gw-1}
      internet: {owner: external, cidrs: [0.0.0.0/0], via: gw-1}
    filters:
      ingress:
        rules:
          - {name: router-dns, from: [branch-lan], to: [edge-1], ports: [udp/53], cleartext: accepted, responsible: provider}
      transit:
        rules:
          - {name: lan-to-apps, from: [edge-1], to: [gw-1], ports: [tcp/443]}

    """

    static let broadcastMAC = [UInt8](repeating: 0xff, count: 6)
    static let unicastMAC = [UInt8](repeating: 2, count: 6)

    static func udp(_ mac: [UInt8], _ src: [UInt8], _ sport: UInt16, _ dst: [UInt8], _ dport: UInt16) -> [UInt8] {
        let udp = Frames.be16(sport) + Frames.be16(dport) + Frames.be16(12) + [0, 0, 1, 2, 3, 4]
        let ip: [UInt8] = [0x45, 0] + Frames.be16(UInt16(20 + udp.count)) + [0, 1, 0x40, 0, 64, 17, 0, 0] + src + dst
        return mac + [UInt8](repeating: 4, count: 6) + [0x08, 0x00] + ip + udp
    }

    static var frames: [[UInt8]] {
        let host: [UInt8] = [10, 1, 0, 7], router: [UInt8] = [10, 1, 0, 1], app: [UInt8] = [172, 16, 5, 9]
        return [
            udp(broadcastMAC, [0, 0, 0, 0], 68, [255, 255, 255, 255], 67),           // DHCP discovery
            udp(broadcastMAC, router, 67, [255, 255, 255, 255], 68),                 // the router's offer
            udp([1, 0, 0x5e, 0, 0, 0xfb], host, 5353, [224, 0, 0, 251], 5353),       // mDNS
            udp(broadcastMAC, host, 137, [10, 1, 0, 255], 137),                      // a directed broadcast
            udp(unicastMAC, host, 50000, router, 53),                                // the router's DNS forwarder
            Frames.tcp(host, 41000, app, 443, flags: 0x02, seq: 1),                  // transit, allowed
            Frames.tcp(host, 41001, app, 8080, flags: 0x02, seq: 1),                 // transit, unfiltered
        ]
    }

    static func replay(_ format: String, builtIn: Bool = false) throws -> CLI.Result {
        let pcap = try CLI.temp("branch.pcap", Frames.pcap(frames))
        let yaml = try CLI.temp("branch.yaml", text: scenario)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        return try CLI.run(["replay", pcap, "--format", format, "--no-progress", "--all-flows"]
                           + (builtIn ? [] : ["--scenario", yaml]), environment: env)
    }

    static func flows(_ r: CLI.Result) -> [[String: Any]] {
        r.stdout.split(separator: "\n").compactMap { CLI.json(String($0)) }.filter { $0["type"] as? String == "flow" }
    }

    @Test func jsonlSegmentsPathsAndDuties() throws {
        let r = try Self.replay("jsonl")
        let flows = Self.flows(r)
        #expect(flows.map { $0["segment"] as? String } == ["link", "link", "link", "link", "ingress", "transit", "transit"])
        #expect(flows.map { $0["responsible"] as? String } == ["customer", "provider", "customer", "customer", "provider", "customer", "customer"])
        // `path` only on transit flows.
        #expect(flows.map { $0["path"] != nil } == [false, false, false, false, false, true, true])
        #expect((flows[5]["path"] as? [String: String]) == ["enters": "edge-1", "leaves": "gw-1"])
        let dns = try #require(flows[4]["rule"] as? [String: Any])
        #expect(dns["responsible"] as? String == "provider")
        #expect((flows[5]["rule"] as? [String: Any])?["responsible"] == nil, "rule.responsible only where the rule sets it")
        let unfiltered = (flows[6]["findings"] as? [[String: Any]] ?? []).map { $0["code"] as? String }
        #expect(unfiltered.contains("unfiltered-transit") && unfiltered.contains("unverified-encryption"))
        // Link flows carry no finding (neither encryption nor filters judge them).
        #expect(flows.prefix(4).allSatisfy { ($0["findings"] as? [Any])?.isEmpty == true })
        let summary = try #require(r.stdout.split(separator: "\n").last.flatMap { CLI.json(String($0)) })
        let segments = try #require((summary["summary"] as? [String: Any])?["segments"] as? [String: [String: Any]])
        #expect(segments["link"]?["flows"] as? Int == 4 && segments["transit"]?["flows"] as? Int == 2)
        if CLI.hasSchemaValidator {
            #expect(try CLI.schemaProblem(try Self.replay("json").stdout) == nil)
        }
    }

    @Test func builtInScenarioPutsLinkTrafficInLink() throws {
        let flows = Self.flows(try Self.replay("jsonl", builtIn: true))
        #expect(flows.map { $0["segment"] as? String } == ["link", "link", "link", "link", "external", "external", "external"])
    }

    @Test func humanFormatsAndCSV() throws {
        let table = try Self.replay("table").stdout
        #expect(table.contains("transit") && table.contains("through edge-1 → gw-1: 2 flows"))
        #expect(table.contains("router-dns"))
        let md = try Self.replay("markdown").stdout
        #expect(md.contains("| transit | 2 |") && md.contains("| link | 4 |"))
        #expect(md.contains("transit (edge-1 → gw-1)"))
        // Transit is drawn through the nodes; link traffic is summed apart, no arrow.
        let mermaid = md.components(separatedBy: "```mermaid")[1].components(separatedBy: "```")[0]
        #expect(mermaid.contains("\"branch-lan\"") && mermaid.contains("\"app-subnet\""))
        // branch-lan → edge-1 (DNS, and each transit service), edge-1 → gw-1 and gw-1 →
        // app-subnet for each of the two transit services.
        #expect(mermaid.split(separator: "\n").filter { $0.contains("-->") }.count == 7, "\(mermaid)")
        #expect(!mermaid.contains("255.255") && !mermaid.contains("udp/67"))
        // By the place of the end that is not a group address: the client's where both are.
        #expect(md.contains("Link traffic") && md.contains("- branch-lan: 2 flows") && md.contains("- edge-1: 1 flows")
                && md.contains("- internet: 1 flows"), "\(md)")
        #expect(md.contains("router-dns (allow, responsible: provider)"))
        let html = try Self.replay("html").stdout
        #expect(html.contains("<ul class=\"link\">") && html.contains("transit (edge-1 → gw-1)"))
        // The three columns added after credentials: path_enters, path_leaves,
        // rule_responsible, then community_id (the findings before them may hold quoted
        // commas, so they are read from the end).
        let csv = try Self.replay("csv").stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let transitColumns = { (row: [String]) in Array(row.dropLast().suffix(3)) }
        #expect(csv.first.map(transitColumns) == ["path_enters", "path_leaves", "rule_responsible"])
        #expect(transitColumns(csv[6]) == ["edge-1", "gw-1", ""] && transitColumns(csv[1]) == ["", "", ""])
        #expect(transitColumns(csv[5]) == ["", "", "provider"])
    }

    /// `diff`: a change of path alone is a change (the application subnet moves behind
    /// another node), and a rule's `responsible` shows on each side.
    @Test func diffCountsAChangeOfPath() throws {
        let pcap = try CLI.temp("branch.pcap", Frames.pcap(Self.frames))
        let before = try CLI.temp("before.yaml", text: Self.scenario)
        let after = try CLI.temp("after.yaml", text: Self.scenario
            .replacingOccurrences(of: "  gw-1: {role: gateway, addresses: [198.51.100.20]}",
                                  with: "  gw-1: {role: gateway, addresses: [198.51.100.20]}\n  gw-2: {role: gateway, addresses: [198.51.100.21]}")
            .replacingOccurrences(of: "cidrs: [172.16.5.0/24], via: gw-1", with: "cidrs: [172.16.5.0/24], via: gw-2"))
        let r = try CLI.run(["diff", pcap, "--scenario", before, "--against", after, "--format", "json"])
        let changes = try #require(CLI.json(r.stdout)?["changes"] as? [[String: Any]], "\(r.stdout)\(r.stderr)")
        // The two transit flows: same segment and party, another exit node.
        #expect(changes.count == 2)
        for c in changes {
            #expect((c["before"] as? [String: Any])?["path"] as? [String: String] == ["enters": "edge-1", "leaves": "gw-1"])
            #expect((c["after"] as? [String: Any])?["path"] as? [String: String] == ["enters": "edge-1", "leaves": "gw-2"])
        }
        let table = try CLI.run(["diff", pcap, "--scenario", before, "--against", after]).stdout
        #expect(table.contains("transit (edge-1 → gw-1)/customer") && table.contains("transit (edge-1 → gw-2)/customer"), "\(table)")
    }

    @Test func badViaAndResponsibleAreLocated() throws {
        let pcap = try CLI.temp("branch.pcap", Frames.pcap(Self.frames))
        let via = try CLI.temp("via.yaml", text: Self.scenario.replacingOccurrences(of: "via: gw-1}\n  internet", with: "via: app}\n  internet"))
        let r = try CLI.run(["replay", pcap, "--scenario", via])
        #expect(r.status == 2 && r.stderr.contains("via.yaml:8:") && r.stderr.contains("names no node"), "\(r.stderr)")
        let bad = try CLI.temp("responsible.yaml", text: Self.scenario.replacingOccurrences(of: "responsible: provider", with: "responsible: isp"))
        let s = try CLI.run(["replay", pcap, "--scenario", bad])
        #expect(s.status == 2 && s.stderr.contains("responsible.yaml:13:") && s.stderr.contains("provider, customer or shared"), "\(s.stderr)")
    }
}
