import Foundation
import Testing

@Suite struct ScenarioCLITests {
    static let deployments = Deployments.all

    /// Golden files: Golden/<deployment>.<extension> for each format.
    static let formats = [("json", "json"), ("jsonl", "jsonl"), ("csv", "csv"), ("markdown", "md"),
                          ("html", "html"), ("table", "txt")]

    /// Each bundled capture against its scenario reproduces the committed report exactly,
    /// in every format (scripts/update-goldens.sh rewrites them after an intended change).
    @Test(arguments: deployments, formats.map(\.0)) func goldenReport(_ name: String, _ format: String) throws {
        let ext = Self.formats.first { $0.0 == format }!.1
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        let r = try CLI.run(["replay", "captures/\(name).pcap", "--scenario", Deployments.scenario(name), "--format", format,
                             "--as-of", Deployments.asOf, "--no-progress"], environment: env)
        // The first four scenarios' expectations fail on their captures; the managed
        // branch's hold on both its taps.
        #expect(r.status == (name.hasPrefix("managed-branch") ? 0 : 1), "\(r.stderr)")
        let golden = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Tests/DemarcCLITests/Golden/\(name).\(ext)"), encoding: .utf8)
        let got = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let want = golden.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDiff = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? (got.count == want.count ? nil : min(got.count, want.count))
        #expect(firstDiff == nil, """
            \(name).\(ext) differs from its golden file at line \((firstDiff ?? 0) + 1) \
            (got: \(firstDiff.flatMap { $0 < got.count ? String(got[$0].prefix(300)) : nil } ?? "end of output")); \
            if the change is intended, run scripts/update-goldens.sh
            """)
        if format == "json" && CLI.hasSchemaValidator { #expect(try CLI.schemaProblem(r.stdout) == nil) }
        if format == "jsonl" && CLI.hasSchemaValidator {
            // Each line is a flow or the summary; reassembled they make a valid document.
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.last?.hasPrefix("{\"type\":\"summary\"") == true)
        }
    }

    /// The recorded deployment with cleartext logins: every format names the credentials'
    /// kinds and users, and none shows the secret (`secret`), in clear, base64 or hex, nor
    /// the encoded forms the clients sent (HTTP Basic's `camera:secret`, SASL PLAIN's
    /// `\0scanner\0secret`). The SIEM formats (ecs, ocsf) too.
    @Test(arguments: formats.map(\.0) + ["ecs", "ocsf"]) func theDeploymentsSecretsNeverLeak(_ format: String) throws {
        let r = try CLI.run(["replay", "captures/credentials-at-the-edge.pcap", "--scenario", "scenarios/credentials-at-the-edge.yaml",
                             "--format", format, "--as-of", Deployments.asOf, "--no-progress"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cleartext-credentials") && r.stdout.contains("scanner") && r.stdout.contains("camera"))
        for secret in ["secret", "c2VjcmV0", "736563726574", "Y2FtZXJhOnNlY3JldA", "AHNjYW5uZXIAc2VjcmV0"] {
            #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret), "\(format) shows \(secret)")
        }
    }

    @Test func everyFindingCodeIsProduced() throws {
        var codes = Set<String>()
        for name in Self.deployments {
            let r = try CLI.run(["replay", "captures/\(name).pcap", "--scenario", Deployments.scenario(name), "--format", "json"])
            let flows = try #require(CLI.json(r.stdout)?["flows"] as? [[String: Any]])
            for f in flows { for x in (f["findings"] as? [[String: Any]]) ?? [] { codes.insert(x["code"] as! String) } }
        }
        let all: Set = ["unencrypted-internal", "unencrypted-egress", "unencrypted-ingress", "unencrypted-external",
                        "denied-traffic-observed", "unfiltered-ingress", "unfiltered-egress", "unfiltered-external",
                        "weak-encryption", "customer-ca-not-used", "unverified-encryption", "certificate-not-visible",
                        "cleartext-credentials", "unencrypted-transit", "unfiltered-transit"]
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
        ("scenario: x\naccept:\n  - {finding: unencrypted-egres, owner: o, reason: r, until: 2027-01-01}\n", "unknown finding code 'unencrypted-egres'"),
        ("scenario: x\naccept:\n  - {finding: unencrypted-egress, reason: r, until: 2027-01-01}\n", "needs `owner`"),
        ("scenario: x\naccept:\n  - {finding: unencrypted-egress, owner: o, until: 2027-01-01}\n", "needs `reason`"),
        ("scenario: x\naccept:\n  - {finding: unencrypted-egress, owner: o, reason: r}\n", "needs `until`"),
        ("scenario: x\naccept:\n  - {finding: unencrypted-egress, owner: o, reason: r, until: 2027-02-30}\n", "invalid date '2027-02-30'"),
        ("scenario: x\naccept:\n  - {finding: unencrypted-egress, owner: '', reason: r, until: 2027-01-01}\n", "`owner` cannot be empty"),
        ("scenario: x\naccept:\n  - {finding: unencrypted-egress, owner: o, reason: r, until: 2027-01-01, to: [nowhere]}\n", "unknown node or zone 'nowhere'"),
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
