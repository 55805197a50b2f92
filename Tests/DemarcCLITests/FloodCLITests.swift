import Foundation
import Testing

/// Issue 35, end to end: a SYN flood past `--max-flows` is reported in full, its evicted
/// flows marked and counted, with one warning; without evictions nothing of it shows.
@Suite struct FloodCLITests {
    /// `count` SYN-only connections, 100 µs apart, each from its own address and port.
    static func synFlood(_ count: Int) throws -> String {
        let records = (0..<count).map { i -> (UInt32, UInt32, [UInt8]) in
            let frame = Frames.tcp([10, 1, UInt8(i >> 8 & 255), UInt8(i & 255)], UInt16(20000 + i % 1000), [10, 0, 0, 2], 80,
                                   flags: 0x02, seq: UInt32(i))
            return (1_700_000_000 + UInt32(i / 10_000), UInt32(i % 10_000) * 100, frame)
        }
        let path = NSTemporaryDirectory() + "demarc-flood-\(UUID().uuidString).pcap"
        try Data(CaptureBytes.pcap(records: records)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [1, 2])
    func evictedFlowsAreReportedAndCounted(workers: Int) throws {
        let path = try Self.synFlood(3000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["replay", path, "--format", "jsonl", "--no-progress", "--max-flows", "500",
                             "--workers", "\(workers)"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").compactMap { CLI.json(String($0)) }
        let flows = lines.filter { $0["type"] as? String == "flow" }
        #expect(flows.count == 3000)
        let evicted = flows.filter { $0["end"] as? String == "evicted" }
        let summary = lines.last?["summary"] as? [String: Any]
        // Each worker keeps 500/workers flows: all the others were evicted.
        #expect(evicted.count == 2500)
        #expect(summary?["evicted"] as? Int == 2500)
        #expect(summary?["active_flows_peak"] as? Int == 500)
        #expect(flows.allSatisfy { $0["end"] == nil || $0["end"] as? String == "evicted" })
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("--max-flows") }
        #expect(warnings.count == 1 && warnings[0].contains("2500 flows were evicted"))
        // ecs carries it as event.reason.
        let ecs = try CLI.run(["replay", path, "--format", "ecs", "--no-progress", "--max-flows", "500", "--workers", "\(workers)"])
        #expect(ecs.stdout.components(separatedBy: "\"reason\":\"evicted\"").count - 1 == 2500)
    }

    /// Flows still open at the end of input, spread unevenly over the workers (most
    /// between one address pair, so on one worker), laid out by every worker while each
    /// may have only 48 records waiting for the merge: the report is one worker's, in
    /// order, and the run ends.
    @Test func unevenEndOfInputUnderASmallMergeLimit() throws {
        let records = (0..<6000).map { i -> (UInt32, UInt32, [UInt8]) in
            let frame = i % 4 == 0
                ? Frames.tcp([10, 2, UInt8(i >> 8 & 255), UInt8(i & 255)], UInt16(20000 + i % 1000), [10, 0, 0, 3], 443,
                             flags: 0x02, seq: UInt32(i))
                : Frames.tcp([10, 9, 9, 9], UInt16(1024 + i), [10, 0, 0, 2], 80, flags: 0x02, seq: UInt32(i))
            return (1_700_000_000, UInt32(i) * 10, frame)
        }
        let path = NSTemporaryDirectory() + "demarc-uneven-\(UUID().uuidString).pcap"
        try Data(CaptureBytes.pcap(records: records)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        func report(_ workers: Int, reader: String, limit: Int = 48) throws -> (Int32, String) {
            var env = ProcessInfo.processInfo.environment
            env["DEMARC_MERGE_LIMIT"] = String(limit)
            env["DEMARC_REPLAY_READER"] = reader
            let r = try CLI.run(["replay", path, "--format", "jsonl", "--no-progress", "--workers", String(workers)],
                                timeout: 120, environment: env)
            return (r.status, r.stdout.replacingOccurrences(of: #""active_flows_peak":[0-9]+,"#, with: "",
                                                            options: .regularExpression))
        }
        let (s1, one) = try report(1, reader: "dispatch")
        #expect(s1 == 0)
        #expect(one.components(separatedBy: "\"type\":\"flow\"").count - 1 == 6000)
        // A limit of 1: every publication makes a worker wait for room, and run the
        // merge (replay's merge runs on the workers) before it waits.
        for (n, reader, limit) in [(2, "dispatch", 48), (3, "dispatch", 48), (2, "each", 48), (3, "each", 48),
                                   (4, "dispatch", 1), (4, "each", 1)] {
            let (sn, many) = try report(n, reader: reader, limit: limit)
            #expect(sn == s1, "exit status with --workers \(n) (\(reader), limit \(limit))")
            #expect(many == one, "report with --workers \(n) (\(reader), limit \(limit)) differs from --workers 1")
        }
    }

    @Test func withoutEvictionsNothingShows() throws {
        let path = try Self.synFlood(300)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["replay", path, "--format", "jsonl", "--no-progress"])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("evicted"))
        #expect(!r.stderr.contains("--max-flows"))
    }

    @Test(arguments: [["--max-flows", "0"], ["--max-flows", "1000000001"], ["--embryonic-timeout", "0"],
                      ["--embryonic-timeout", "soon"]])
    func outOfRangeIsAUsageError(_ args: [String]) throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap"] + args)
        #expect(r.status == 2)
        #expect(r.stderr.contains(args[0]))
    }
}
