import Foundation
import Testing

/// SCENARIO.md's accepted risks on the bundled overlay network: an `accept` entry that
/// holds, one past its end date, and one nothing uses; `--as-of` pins the day.
@Suite struct AcceptedRiskTests {
    /// The overlay network's scenario with an `accept` list appended.
    static func scenario() throws -> String {
        let base = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent("scenarios/overlay-network.yaml").path,
                              encoding: .utf8)
        return try CLI.temp("accepting.yaml", text: base + """

        accept:
          - finding: unencrypted-egress
            from: [gw-1]
            to: [app-subnet]
            ports: [tcp/80]
            owner: app-team
            reason: legacy health check, moved to HTTPS in Q1
            until: 2027-03-31
          - finding: weak-encryption
            owner: portal-team
            reason: a TLS 1.0 client on the portal
            until: 2026-01-31
          - finding: unfiltered-ingress
            to: [gw-1]
            ports: [tcp/9999]
            owner: netops
            reason: nothing uses this
            until: 2027-12-31

        """)
    }

    static func json(asOf: String, scenario path: String? = nil) throws -> (CLI.Result, [String: Any]) {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", try path ?? scenario(), "--as-of", asOf,
                             "--format", "json"])
        return (r, try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]))
    }

    static func findings(_ report: [String: Any]) -> [[String: Any]] {
        ((report["flows"] as? [[String: Any]]) ?? []).flatMap { ($0["findings"] as? [[String: Any]]) ?? [] }
    }

    @Test func acceptedFindingsAreReportedButNotCounted() throws {
        let (_, plain) = try Self.json(asOf: "2026-11-30", scenario: "scenarios/overlay-network.yaml")
        let (r, d) = try Self.json(asOf: "2026-11-30")
        let s = try #require(d["summary"] as? [String: Any])
        let counted = try #require(s["findings"] as? [String: Int]), before = try #require((plain["summary"] as? [String: Any])?["findings"] as? [String: Int])
        // The accepted unencrypted-egress (high) leaves the count; the expired weak-encryption stays.
        #expect(counted["high"] == before["high"]! - 1 && counted["medium"] == before["medium"])
        #expect((s["accepted"] as? [String: Int])?["high"] == 1)
        let ue = Self.findings(d).filter { $0["code"] as? String == "unencrypted-egress" }
        let accepted = ue.compactMap { $0["accepted"] as? [String: Any] }
        #expect(accepted.count == 1 && accepted[0]["owner"] as? String == "app-team" && accepted[0]["until"] as? String == "2027-03-31"
                && accepted[0]["expired"] as? Bool == false && accepted[0]["reason"] as? String == "legacy health check, moved to HTTPS in Q1")
        let weak = try #require(Self.findings(d).first { $0["code"] as? String == "weak-encryption" }?["accepted"] as? [String: Any])
        #expect(weak["expired"] as? Bool == true)
        let unused = try #require(s["unused_acceptances"] as? [[String: Any]])
        #expect(unused.count == 1 && unused[0]["finding"] as? String == "unfiltered-ingress" && unused[0]["owner"] as? String == "netops"
                && unused[0]["until"] as? String == "2027-12-31" && (unused[0]["line"] as? Int ?? 0) > 40)
        if CLI.hasSchemaValidator, let problem = try CLI.schemaProblem(r.stdout) { Issue.record("schema: \(problem)") }
    }

    /// The same entry, judged after its end date: the finding counts again, marked expired.
    @Test func anExpiredAcceptanceCountsAgain() throws {
        let (_, d) = try Self.json(asOf: "2027-04-01")
        let s = try #require(d["summary"] as? [String: Any])
        #expect((s["accepted"] as? [String: Int])?.values.reduce(0, +) == 0)
        let ue = Self.findings(d).compactMap { $0["accepted"] as? [String: Any] }.filter { $0["owner"] as? String == "app-team" }
        #expect(ue.count == 1 && ue[0]["expired"] as? Bool == true)
    }

    /// `--fail-on` counts neither accepted findings nor those of the last day of `until`.
    @Test func failOnIgnoresWhatIsAccepted() throws {
        let scenario = try CLI.temp("accept-all-high.yaml", text: """
        scenario: accept-all-high
        nodes:
          gw-1: {role: gateway, addresses: [198.51.100.20]}
        zones:
          app-subnet: {owner: customer, cidrs: [172.16.5.0/24]}
        encryption: {egress: required}
        accept:
          - {finding: unencrypted-egress, owner: o, reason: r, until: 2027-03-31}
        """)
        func status(_ day: String) throws -> Int32 {
            try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", scenario, "--as-of", day, "--fail-on", "high",
                         "--format", "jsonl"]).status
        }
        #expect(try status("2027-03-31") == 0)
        #expect(try status("2027-04-01") == 1)
    }

    /// Every format says a finding was accepted, by whom and until when, or that its
    /// acceptance expired; and names the unused entry.
    @Test(arguments: ["table", "markdown", "html", "csv"])
    func everyFormatShowsAcceptance(_ format: String) throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", try Self.scenario(), "--as-of", "2026-11-30",
                             "--format", format])
        #expect(r.stdout.contains("accepted by app-team until 2027-03-31"), "\(format)")
        #expect(r.stdout.contains("acceptance by portal-team expired 2026-01-31"), "\(format)")
        if format != "csv" { #expect(r.stdout.contains("unfiltered-ingress accepted by netops until 2027-12-31 (line")) }
    }

    @Test func asOfMustBeADate() throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--as-of", "next tuesday"])
        #expect(r.status == 2 && r.stderr.contains("--as-of"))
    }
}
