import Foundation
import Testing

/// CSV as a spreadsheet reads it: parsed by Python's csv module (RFC 4180 quoting), one
/// row per flow under a stable header, every row as wide as the header.
@Suite struct CSVTests {
    static func parsed(_ name: String) throws -> (header: [String], widths: [Int], rows: [[String]]) {
        let r = try CLI.run(["replay", "captures/\(name).pcap", "--scenario", "scenarios/\(name).yaml",
                             "--format", "csv", "--as-of", Deployments.asOf, "--no-progress"])
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
        return (try #require(parsed["header"] as? [String]), try #require(parsed["widths"] as? [Int]),
                try #require(parsed["rows"] as? [[String]]))
    }

    @Test func parsesAsRFC4180() throws {
        let (header, widths, rows) = try Self.parsed("overlay-network")
        #expect(header.first == "id" && header.suffix(6) == ["findings", "credentials", "path_enters", "path_leaves", "rule_responsible", "community_id"])
        #expect(widths == [header.count], "every row as wide as the header")
        #expect(rows.count == 13)
        // A cell holding commas (two findings) comes back whole.
        let col = try #require(header.firstIndex(of: "findings"))
        let smb = try #require(rows.first { $0[0] == "11" })
        #expect(smb[col].contains("denied-traffic-observed") && smb[col].contains("unencrypted-egress"))
    }

    /// The credentials column names each flow's cleartext credentials by kind and user.
    @Test func credentialsColumn() throws {
        let (header, _, rows) = try Self.parsed("credentials-at-the-edge")
        let col = try #require(header.firstIndex(of: "credentials"))
        let byApp = Dictionary(rows.map { ($0[header.firstIndex(of: "application")!], $0[col]) }, uniquingKeysWith: { a, b in a + "|" + b })
        #expect(byApp["ftp"] == "ftp (scanner)")
        #expect(byApp["smtp"] == "sasl-plain (scanner)")
        #expect(byApp["http"] == "http-basic (camera)")
        #expect(byApp["snmp"] == "snmp-community")
    }
}
