import Foundation
import Testing

@Suite struct ScenarioCLITests {
    static let deployments = ["overlay-network", "iaas-vms", "data-platform"]

    /// Each bundled capture against its scenario reproduces the committed report exactly.
    @Test(arguments: deployments) func goldenReport(_ name: String) throws {
        let r = try CLI.run(["replay", "captures/\(name).pcap", "--scenario", "scenarios/\(name).yaml", "--format", "json"])
        #expect(r.status == 1, "each scenario's expectations fail on its capture: \(r.stderr)")
        let golden = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Tests/DemarcCLITests/Golden/\(name).json"), encoding: .utf8)
        #expect(r.stdout == golden)
        if CLI.hasSchemaValidator { #expect(try CLI.schemaProblem(r.stdout) == nil) }
    }

    @Test func everyFindingCodeIsProduced() throws {
        var codes = Set<String>()
        for name in Self.deployments {
            let r = try CLI.run(["replay", "captures/\(name).pcap", "--scenario", "scenarios/\(name).yaml", "--format", "json"])
            let flows = try #require(CLI.json(r.stdout)?["flows"] as? [[String: Any]])
            for f in flows { for x in (f["findings"] as? [[String: Any]]) ?? [] { codes.insert(x["code"] as! String) } }
        }
        let all: Set = ["unencrypted-internal", "unencrypted-egress", "unencrypted-ingress", "unencrypted-external",
                        "denied-traffic-observed", "unfiltered-ingress", "unfiltered-egress", "unfiltered-external",
                        "weak-encryption", "customer-ca-not-used", "unverified-encryption", "certificate-not-visible"]
        #expect(codes == all)
    }

    @Test func failOnAndExitStatus() throws {
        // data-platform has one high finding and an expectation that fails.
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--format", "jsonl", "--fail-on", "critical"])
        #expect(r.status == 0, "without a scenario nothing is required")
        let p = try CLI.run(["replay", "captures/iaas-vms.pcap", "--scenario", "scenarios/iaas-vms.yaml", "--format", "json", "--fail-on", "info"])
        #expect(p.status == 1)
    }

    @Test func checkSummarises() throws {
        let r = try CLI.run(["scenario", "check", "scenarios/overlay-network.yaml"])
        #expect(r.status == 0 && r.stdout.contains("nodes: 3") && r.stdout.contains("customer CA"))
    }

    /// One broken scenario per rule of SCENARIO.md's "Bad input": exit 2, file:line:column.
    @Test(arguments: [
        ("scenario: x\nnodes: [1, 2\n", "not valid YAML"),
        ("scenario: x\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8], sensitiv: true}\n", "did you mean 'sensitive'"),
        ("scenario: x\nnodes:\n  n1: {role: edge, addresses: [10.0.0.300]}\n", "invalid IP address"),
        ("scenario: x\nfilters:\n  egress:\n    rules:\n      - {name: r, ports: [tcp/70000]}\n", "invalid port"),
        ("scenario: x\nnodes:\n  a: {addresses: [10.0.0.1]}\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8]}\n", "duplicate name 'a'"),
        ("scenario: x\nnodes:\n  a: {addresses: [10.0.0.1]}\n  b: {addresses: [10.0.0.1]}\n", "claimed by two nodes"),
        ("scenario: x\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8]}\n  b: {owner: external, cidrs: [10.0.0.0/8]}\n", "appears in two zones"),
        ("scenario: x\nfilters:\n  egress:\n    rules:\n      - {name: r, to: [nowhere]}\n", "unknown node or zone 'nowhere'"),
    ]) func badScenarioExits2(_ text: String, _ message: String) throws {
        let path = try CLI.temp("bad.yaml", text: text)
        let r = try CLI.run(["scenario", "check", path])
        #expect(r.status == 2)
        #expect(r.stderr.contains(path + ":"), "names the file: \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        let line = r.stderr.split(separator: ":").dropFirst(2).first.flatMap { Int($0) }
        #expect(line != nil && line! >= 1, "names line and column: \(r.stderr)")
        let replay = try CLI.run(["replay", "captures/iaas-vms.pcap", "--scenario", path])
        #expect(replay.status == 2 && replay.stdout.isEmpty)
    }
}
