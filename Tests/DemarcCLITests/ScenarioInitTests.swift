import Foundation
import Testing

/// `scenario init` writes a scenario that `scenario check` accepts and that allows what
/// was seen: replaying the same captures against it gives no `unfiltered-*` finding.
@Suite struct ScenarioInitTests {
    /// The codes of every finding a replay of `captures` against `scenario` reports.
    static func findingCodes(_ captures: [String], scenario: String) throws -> [String] {
        let r = try CLI.run(["replay"] + captures + ["--scenario", scenario, "--format", "json", "--no-progress"], timeout: 120)
        let flows = try #require(CLI.json(r.stdout)?["flows"] as? [[String: Any]], "\(captures): \(r.stderr)")
        return flows.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
    }

    /// Writes a scenario with init and checks the property; returns its text.
    @discardableResult
    static func initHolds(_ captures: [String], nodes: [String] = []) throws -> String {
        let out = try CLI.temp("init.yaml", text: "")
        let r = try CLI.run(["scenario", "init"] + captures + nodes.flatMap { ["--node", $0] } + ["--output", out, "--no-progress"],
                            timeout: 120)
        // 2: a capture corrupt part way, used as far as it reads (a warning says so).
        #expect(r.status == 0 || (r.status == 2 && r.stderr.contains("corrupt capture")), "\(captures): \(r.stderr)")
        let check = try CLI.run(["scenario", "check", out])
        #expect(check.status == 0, "\(captures): scenario check refuses what init wrote: \(check.stderr)")
        let unfiltered = try findingCodes(captures, scenario: out).filter { $0.hasPrefix("unfiltered-") }
        #expect(unfiltered.isEmpty, "\(captures): \(unfiltered.count) unfiltered findings, \(Set(unfiltered))")
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    @Test(arguments: Deployments.all) func propertyOnBundledCaptures(_ name: String) throws {
        try Self.initHolds(["captures/\(name).pcap"])
    }

    /// With the bundled deployment's nodes, flows become egress, ingress and internal;
    /// the rules still allow all of them, and `via` is proposed, commented, where one
    /// node alone has an address in a zone.
    @Test func propertyWithNodes() throws {
        let text = try Self.initHolds(["captures/managed-branch.pcap", "captures/managed-branch-wan.pcap"], nodes: [
            "branch-router=10.40.0.1,192.0.2.10,100.96.0.2,fe80::40:ff:fe00:1",
            "gw-central=198.51.100.70,100.96.0.1,172.22.0.1",
        ])
        #expect(text.contains("  branch-router: {addresses: [10.40.0.1, 192.0.2.10, 100.96.0.2, \"fe80::40:ff:fe00:1\"]}"))
        #expect(text.contains("    # via: branch-router"))
        #expect(text.contains("  egress:\n    default: deny\n    rules:\n"))
        #expect(text.contains("  ingress:\n    default: deny\n    rules:\n"))
        #expect(text.hasPrefix("# yaml-language-server: $schema="))
        // Every rule and zone says what it came from.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, l) in lines.enumerated() where l.hasPrefix("      - {name:") || l.hasPrefix("    owner:") {
            let above = lines[..<i].last { $0.contains("#") && $0.contains(" flow") }
            #expect(above != nil, "no comment before: \(l)")
        }
    }

    /// Without --node: no nodes, and the likeliest provider addresses in a comment.
    @Test func candidatesWithoutNodes() throws {
        let text = try Self.initHolds(["captures/overlay-network.pcap"])
        #expect(text.contains("\nnodes: {}\n"))
        #expect(text.contains(" peers ("), "\(text)")
    }

    @Test func deterministic() throws {
        let a = try CLI.run(["scenario", "init", "captures/iaas-vms.pcap", "--no-progress"])
        let b = try CLI.run(["scenario", "init", "captures/iaas-vms.pcap", "--no-progress"])
        #expect(a.status == 0 && a.stdout == b.stdout && !a.stdout.isEmpty)
    }

    @Test func badNodeIsAUsageError() throws {
        let r = try CLI.run(["scenario", "init", "captures/iaas-vms.pcap", "--node", "gw=10.0.0.300"])
        #expect(r.status == 2 && r.stderr.contains("invalid address '10.0.0.300'"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// Every nDPI corpus capture, in one run per capture.
    @Test func propertyOnCorpusCaptures() throws {
        let dir = CLI.shared.appendingPathComponent("corpus/ndpi/pcap")
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            print("skipped: \(dir.path) is absent (../shared holds the corpus)")
            return
        }
        let captures = files.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        #expect(captures.count > 100)
        for f in captures { try Self.initHolds([dir.appendingPathComponent(f).path]) }
    }

    /// Without --scenario, replay says on stderr, and never in the report, that the
    /// built-in scenario checks nothing, and points to init; --help says so too.
    @Test func noticeWithoutScenario() throws {
        let r = try CLI.run(["replay", "captures/iaas-vms.pcap", "--format", "json", "--no-progress"])
        #expect(r.status == 0)
        let notice = r.stderr.split(separator: "\n").filter { $0.contains("built-in scenario") }
        #expect(notice.count == 1 && notice[0].contains("scenario init") && notice[0].contains("nothing required"), "\(r.stderr)")
        #expect(!r.stdout.contains("scenario init"))
        let with = try CLI.run(["replay", "captures/iaas-vms.pcap", "--scenario", "scenarios/iaas-vms.yaml", "--no-progress"])
        #expect(!with.stderr.contains("built-in scenario"))
        let help = try CLI.run(["replay", "--help"])
        #expect(help.stdout.contains("scenario init") && help.stdout.contains("nothing"), "\(help.stdout)")
    }
}
