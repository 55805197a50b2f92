import Foundation
import Testing

/// table, markdown and html stay bounded past `--rows` flows: findings by code with
/// examples, the top flows by bytes, and (html) flows with findings one by one with the
/// clean ones summed by zone pair and service. `--all-flows` lists every flow.
@Suite struct BoundedReportTests {
    static let args = ["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                       "--as-of", "2026-11-30", "--no-progress"]

    /// The flows of the jsonl report: id, bytes, and whether a counted finding is on it.
    static func flows() throws -> [(id: Int, bytes: Int, flagged: Bool)] {
        let r = try CLI.run(args + ["--format", "jsonl"])
        return r.stdout.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["type"] as? String == "flow",
                  let b = o["bytes"] as? [String: Int] else { return nil }
            let findings = o["findings"] as? [[String: Any]] ?? []
            let counted = findings.contains { f in (f["accepted"] as? [String: Any]).map { $0["expired"] as? Bool == true } ?? true }
            return (o["id"] as! Int, b["to_server"]! + b["to_client"]!, counted)
        }
    }

    @Test func tableListsTheTopFlowsByBytesPastTheLimit() throws {
        let all = try Self.flows()
        #expect(all.count == 13)
        let top = all.sorted { ($0.bytes, -$0.id) > ($1.bytes, -$1.id) }.prefix(3).map(\.id)
        let r = try CLI.run(Self.args + ["--format", "table", "--rows", "3"])
        #expect(r.stdout.contains("Flows (the 3 flows with the most bytes, of 13; --all-flows lists every flow)"))
        let section = r.stdout.components(separatedBy: "Flows (the 3")[1].split(separator: "\n").dropFirst(2)
        let ids = section.compactMap { Int($0.split(separator: " ").first ?? "") }
        #expect(ids == top)
        // The findings keep every code with its count.
        #expect(r.stdout.contains("unencrypted-egress ×2"))
    }

    @Test func allFlowsListsEveryOne() throws {
        let limited = try CLI.run(Self.args + ["--format", "table", "--rows", "3", "--all-flows"])
        let plain = try CLI.run(Self.args + ["--format", "table"])
        #expect(limited.stdout == plain.stdout)
        #expect(!plain.stdout.contains("--all-flows lists"))
    }

    @Test func markdownGroupsFindingsByCode() throws {
        let r = try CLI.run(Self.args + ["--format", "markdown", "--rows", "3"])
        #expect(r.stdout.contains("10 findings, by code (the first 5 flows of each)"))
        #expect(r.stdout.contains("| high | customer | unencrypted-egress | 2 |"))
        #expect(r.stdout.contains("Listed: the 3 flows with the most bytes, of 13"))
        let rows = r.stdout.components(separatedBy: "## Flows")[1].split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| id") }
        #expect(rows.count == 3)
    }

    @Test func htmlListsFlaggedFlowsAndSumsTheRest() throws {
        let all = try Self.flows()
        let flagged = all.filter(\.flagged)
        let r = try CLI.run(Self.args + ["--format", "html", "--rows", "3"])
        let body = r.stdout.components(separatedBy: "<tbody>")[1].components(separatedBy: "</tbody>")[0]
        #expect(body.components(separatedBy: "<tr id=\"flow-").count - 1 == flagged.count)
        #expect(r.stdout.contains("<table id=\"services\">"))
        let services = r.stdout.components(separatedBy: "<table id=\"services\">")[1].components(separatedBy: "<tbody>")[1].components(separatedBy: "</tbody>")[0]
        // Every clean flow is in one aggregate row: their flow counts add up.
        let counts = services.components(separatedBy: "<tr>").dropFirst().map { row -> Int in
            let cells = row.components(separatedBy: "<td class=\"n\">")
            return Int(cells[1].components(separatedBy: "<")[0]) ?? -1
        }
        #expect(counts.reduce(0, +) == all.count - flagged.count)
    }
}
