import Foundation
import Testing

/// CSV as a spreadsheet reads it: parsed by Python's csv module (RFC 4180 quoting), one
/// row per flow under a stable header, every row as wide as the header.
@Suite struct CSVTests {
    @Test func parsesAsRFC4180() throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                             "--format", "csv", "--no-progress"])
        let path = try CLI.temp("report.csv", text: r.stdout)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import csv, json, sys
            rows = list(csv.reader(open(sys.argv[1], newline='')))
            print(json.dumps({"header": rows[0], "widths": sorted({len(x) for x in rows}), "rows": rows[1:]}))
            """, path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let parsed = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let header = try #require(parsed["header"] as? [String])
        let rows = try #require(parsed["rows"] as? [[String]])
        #expect(header.first == "id" && header.last == "findings")
        #expect(parsed["widths"] as? [Int] == [header.count], "every row as wide as the header")
        #expect(rows.count == 13)
        // A cell holding commas (two findings) comes back whole.
        let col = try #require(header.firstIndex(of: "findings"))
        let smb = try #require(rows.first { $0[0] == "11" })
        #expect(smb[col].contains("denied-traffic-observed") && smb[col].contains("unencrypted-egress"))
    }
}
