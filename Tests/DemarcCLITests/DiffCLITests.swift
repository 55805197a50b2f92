import Foundation
import Testing

/// `demarc diff` on the overlay network against the what-if scenarios the README walks
/// through: a change that only removes findings, and one that adds a high one.
@Suite struct DiffCLITests {
    static let capture = "captures/overlay-network.pcap"
    static let before = "scenarios/overlay-network.yaml"

    static func diff(_ after: String, _ extra: [String] = [], before: String = before) throws -> (CLI.Result, [String: Any]?) {
        let r = try CLI.run(["diff", capture, "--scenario", before, "--against", after, "--format", "json"] + extra)
        return (r, try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    static func deltas(_ d: [String: Any]?, _ key: String) -> [String] {
        (((d?["summary"] as? [String: Any])?[key] as? [[String: Any]]) ?? []).map {
            "\($0["severity"] ?? "?") \($0["code"] ?? "?") \($0["party"] ?? "?") ×\($0["flows"] ?? "?")"
        }
    }

    @Test func acceptingEdge2sCertificateAndAllowingHTTPOnlyRemovesFindings() throws {
        let (r, d) = try Self.diff("scenarios/what-if/overlay-network-proposed.yaml")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.deltas(d, "findings_added").isEmpty)
        #expect(Self.deltas(d, "findings_removed") == ["medium customer-ca-not-used shared ×1", "medium unfiltered-egress customer ×1"])
        let changes = try #require(d?["changes"] as? [[String: Any]])
        #expect(changes.count == 2)
        let http = try #require(changes.first { ($0["server"] as? [String: Any])?["port"] as? Int == 80 })
        #expect(((http["after"] as? [String: Any])?["rule"] as? [String: Any])?["name"] as? String == "app-http")
        #expect((d?["summary"] as? [String: Any])?["flows"] as? Int == 13)
    }

    @Test func droppingTheIngressRuleAddsAHighFindingAndFails() throws {
        let (r, d) = try Self.diff("scenarios/what-if/overlay-network-no-ingress-rule.yaml")
        #expect(r.status == 1)
        #expect(Self.deltas(d, "findings_added") == ["high unfiltered-ingress customer ×1"])
        let (lenient, _) = try Self.diff("scenarios/what-if/overlay-network-no-ingress-rule.yaml", ["--fail-on", "critical"])
        #expect(lenient.status == 0)
    }

    /// An expectation BEFORE met and AFTER fails is a failure, whatever --fail-on says.
    @Test func anExpectationLostFails() throws {
        func with(_ path: String, name: String) throws -> String {
            let text = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent(path).path, encoding: .utf8)
            return try CLI.temp(name, text: text.replacingOccurrences(of: "  - {max: {severity: critical, count: 0}}",
                                                                     with: "  - {max: {severity: critical, count: 0}}\n  - {max: {severity: high, count: 5}}"))
        }
        let before = try with(Self.before, name: "before.yaml")
        let after = try with("scenarios/what-if/overlay-network-no-ingress-rule.yaml", name: "after.yaml")
        let (r, d) = try Self.diff(after, ["--fail-on", "critical"], before: before)
        #expect(r.status == 1)
        let lost = ((d?["summary"] as? [String: Any])?["expectations_after"] as? [[String: Any]])?.filter { $0["passed"] as? Bool == false }
        #expect(lost?.contains { $0["expect"] as? String == "max: {severity: high, count: 5}" } == true)
        let met = ((d?["summary"] as? [String: Any])?["expectations_before"] as? [[String: Any]])?.filter { $0["passed"] as? Bool == true }
        #expect(met?.map { $0["expect"] as? String } == ["max: {severity: high, count: 5}"])
    }

    @Test(arguments: ["table", "markdown", "html", "jsonl", "csv"])
    func formats(_ format: String) throws {
        let r = try CLI.run(["diff", Self.capture, "--scenario", Self.before, "--against",
                             "scenarios/what-if/overlay-network-no-ingress-rule.yaml", "--format", format])
        #expect(r.status == 1)
        #expect(r.stdout.contains("unfiltered-ingress") && r.stdout.contains("edges-only"), "\(format)")
    }

    /// csv: a header, then one row per changed flow with both sides.
    @Test func csvHasARowPerChangedFlow() throws {
        let args = ["diff", Self.capture, "--scenario", Self.before, "--against", "scenarios/what-if/overlay-network-no-ingress-rule.yaml"]
        let json = try CLI.run(args + ["--format", "json"])
        let changes = CLI.json(json.stdout)?["changes"] as? [[String: Any]] ?? []
        let r = try CLI.run(args + ["--format", "csv"])
        let rows = r.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.first?.hasPrefix("id,transport,client_ip,") == true)
        #expect(rows.count == changes.count + 1 && changes.count > 0)
        #expect(rows.dropFirst().allSatisfy { $0.contains(",ingress,customer,edges-only (allow),") && $0.contains("unfiltered-ingress (high, customer)") }, "\(rows)")
    }

    @Test func diffNeedsBothScenarios() throws {
        #expect(try CLI.run(["diff", Self.capture, "--against", Self.before]).status == 2)
        let same = try CLI.run(["diff", Self.capture, "--scenario", Self.before, "--against", Self.before])
        #expect(same.status == 0 && same.stdout.contains("0 of them change"))
    }
}
