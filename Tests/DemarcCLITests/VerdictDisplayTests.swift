import Foundation
import Testing

/// Every human format states the run's verdict, as its exit status does: pass or fail,
/// why, and the findings by severity; the html page opens with it and links each finding
/// to its flow's row.
@Suite struct VerdictDisplayTests {
    static let args = ["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                       "--as-of", "2026-11-30", "--no-progress"]

    @Test func tableEndsWithTheVerdict() throws {
        let r = try CLI.run(Self.args + ["--format", "table", "--fail-on", "high"])
        #expect(r.status == 1)
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last == "Result: FAIL — findings: 2 critical, 3 high, 3 medium, 1 low, 1 info; 2 of 2 expectations failed; 5 findings at high or above (--fail-on high)", "\(last)")
    }

    @Test func aPassSaysSo() throws {
        let yaml = try CLI.temp("plain.yaml", text: "scenario: plain\n")
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", yaml, "--format", "markdown", "--no-progress"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("**Result: pass** — findings: 0 critical, 0 high, 1 medium, 0 low, 0 info."), "\(r.stdout.prefix(400))")
    }

    @Test func htmlOpensWithTheVerdictAndLinksFindingsToFlows() throws {
        let r = try CLI.run(Self.args + ["--format", "html"])
        let page = r.stdout
        let banner = try #require(page.range(of: "<div class=\"verdict fail\" id=\"verdict\"><b>Fail</b>"))
        #expect(banner.lowerBound < page.range(of: "<h2>Parties</h2>")!.lowerBound)
        // Findings grouped by code, each flow a link to its row.
        #expect(page.contains("<b>unencrypted-egress</b> (customer) ×2<ul><li><a href=\"#flow-8\">flow 8</a>"))
        for id in [2, 3, 4, 6, 8, 10, 11, 13] {
            #expect(page.contains("href=\"#flow-\(id)\"") && page.contains("<tr id=\"flow-\(id)\">"), "flow \(id)")
        }
        // The server name has a column of its own.
        #expect(page.contains("<th data-k=\"sni\">server name</th>"))
    }
}
