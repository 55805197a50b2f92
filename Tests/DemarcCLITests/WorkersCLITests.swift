import Foundation
import Testing

/// `--workers N` writes the report `--workers 1` writes: the same flows, ids, order and
/// summary, on every bundled capture and every capture of ../shared/corpus (read in place,
/// skipped where it is absent). The one field allowed to differ is `active_flows_peak`,
/// which is the sum of the workers' peaks (README, "Every core").
@Suite struct WorkersCLITests {
    static let corpus: [String] = {
        let root = CLI.shared.appendingPathComponent("corpus")
        var out: [String] = []
        for dir in ["ndpi/pcap", "malformed"] {
            let d = root.appendingPathComponent(dir)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: d.path) else { continue }
            out += names.sorted().map { d.appendingPathComponent($0).path }
        }
        return out
    }()

    /// The corpus in a few slices, so they run side by side.
    static let slices: [Int] = Array(0..<8)

    static func report(_ args: [String], workers: Int, dispatch: Bool = false, windows: Int? = nil) throws -> (Int32, String) {
        // DEMARC_REPLAY_READER=dispatch (the default): shard 0 reads files once and hands
        // the others their frames, as it does for a stream; =each: every shard reads the
        // files. DEMARC_DISPATCH_WINDOWS=1: the frames handed by reference lie in one read
        // window, reused for the next only once every shard has read them.
        var env = ProcessInfo.processInfo.environment
        env["DEMARC_REPLAY_READER"] = dispatch ? "dispatch" : "each"
        if let windows { env["DEMARC_DISPATCH_WINDOWS"] = String(windows) }
        let r = try CLI.run(["replay"] + args + ["--format", "jsonl", "--no-progress", "--workers", String(workers)],
                            environment: env)
        let text = r.stdout.replacingOccurrences(of: #""active_flows_peak":[0-9]+,"#, with: "", options: .regularExpression)
        return (r.status, text)
    }

    static func expectSame(_ args: [String]) throws {
        let (s1, one) = try report(args, workers: 1)
        for (n, dispatch, windows) in [(2, false, nil), (3, false, nil), (2, true, nil), (3, true, 1)] as [(Int, Bool, Int?)] {
            let (sn, many) = try report(args, workers: n, dispatch: dispatch, windows: windows)
            let how = dispatch ? " (one reader dispatching\(windows.map { ", \($0) read window" } ?? ""))" : " (each reading)"
            #expect(sn == s1, "exit status with --workers \(n)\(how): \(args)")
            #expect(many == one, "report with --workers \(n)\(how) differs from --workers 1: \(args)")
        }
    }

    @Test(arguments: Deployments.all)
    func bundledCapture(_ name: String) throws {
        try Self.expectSame(["captures/\(name).pcap", "--scenario", Deployments.scenario(name)])
    }

    /// Several files are one replay: flows spanning them are one flow, numbered alike.
    @Test func severalCapturesAreOneReplay() throws {
        try Self.expectSame(["captures/overlay-network.pcap", "captures/iaas-vms.pcap", "captures/data-platform.pcap",
                             "--scenario", "scenarios/overlay-network.yaml"])
    }

    @Test(.enabled(if: !corpus.isEmpty, "needs ../shared/corpus beside the project: skipped"), arguments: slices)
    func corpusCaptures(_ slice: Int) throws {
        for (i, path) in Self.corpus.enumerated() where i % Self.slices.count == slice {
            try Self.expectSame([path])
        }
    }

    /// A stream (standard input, then a file as well) is read once, by the reading
    /// worker, and handed out like a file's packets.
    @Test func standardInputIsSharedOut() throws {
        func report(_ workers: Int) throws -> (Int32, String) {
            let r = try CLI.run(["replay", "-", "captures/iaas-vms.pcap", "--scenario", "scenarios/overlay-network.yaml",
                                 "--format", "jsonl", "--no-progress", "--workers", String(workers)],
                                stdin: "captures/overlay-network.pcap")
            return (r.status, r.stdout.replacingOccurrences(of: #""active_flows_peak":[0-9]+,"#, with: "",
                                                            options: .regularExpression))
        }
        let (s1, one) = try report(1)
        #expect(one.contains(#""type":"flow""#))
        for n in [2, 3] {
            let (sn, many) = try report(n)
            #expect(sn == s1)
            #expect(many == one, "report from standard input with --workers \(n) differs from --workers 1")
        }
    }

    /// A capture of many read windows (about 6 MB) whose records run from 54 bytes to
    /// 64 KB, so that some cross a window's end by more than the windows read ahead
    /// overlap: the report is one worker's with windows read ahead by the receiving
    /// workers, and without (`DEMARC_NO_READ_AHEAD`).
    @Test func windowsReadAheadKeepTheReport() throws {
        let sizes = [0, 1400, 9000, 30_000, 65_000, 120, 4100, 5000]
        let frames = (0..<600).map { i -> [UInt8] in
            let n = sizes[i % sizes.count] - (i % 3) * (sizes[i % sizes.count] > 200 ? 37 : 0)
            let payload = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            return Frames.tcp([10, 1, UInt8(i % 7), UInt8(i % 251)], UInt16(30000 + i % 97), [10, 0, 0, UInt8(1 + i % 5)], 443,
                              flags: 0x18, seq: UInt32(i), payload: payload)
        }
        let path = NSTemporaryDirectory() + "demarc-windows-\(UUID().uuidString).pcap"
        try Data(Frames.pcap(frames)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        func report(_ workers: Int, readAhead: Bool) throws -> (Int32, String) {
            var env = ProcessInfo.processInfo.environment
            env["DEMARC_REPLAY_READER"] = "dispatch"
            if !readAhead { env["DEMARC_NO_READ_AHEAD"] = "1" }
            let r = try CLI.run(["replay", path, "--format", "jsonl", "--no-progress", "--workers", String(workers)],
                                environment: env)
            return (r.status, r.stdout.replacingOccurrences(of: #""active_flows_peak":[0-9]+,"#, with: "",
                                                            options: .regularExpression))
        }
        let (s1, one) = try report(1, readAhead: true)
        #expect(s1 == 0)
        #expect(one.contains(#""link_type":"EN10MB","packets":600,"#), "every record is read")
        for (n, readAhead) in [(2, true), (3, true), (2, false)] {
            let (sn, many) = try report(n, readAhead: readAhead)
            #expect(sn == s1)
            #expect(many == one, "report with --workers \(n)\(readAhead ? "" : " (no read-ahead)") differs from --workers 1")
        }
    }

    /// The flows open at the end of input are rendered in chunks with their final ids
    /// (`EndPhase.Direct`), and the flows that ended during the input but wait behind an
    /// open one (the reorder buffer) are written between them: about 1,600 flows open at
    /// the end (several chunks), 800 embryonic ones expired before it, ingress rules
    /// counted in report order (`summary.rules`). Every format whose flows the workers
    /// render is one worker's report, chunked and flow by flow (`DEMARC_END_PER_FLOW`);
    /// `json` also where every flow is still open at the end (the report's first flow is
    /// in a chunk, without a separator before it).
    @Test func endOfInputChunksKeepTheReport() throws {
        func frames(expiring: Bool) -> [[UInt8]] {
            var out: [[UInt8]] = []
            for i in 0..<2400 {
                let client: [UInt8] = [10, 1, UInt8(i / 250), UInt8(i % 250)]
                let server: [UInt8] = [10, 0, 0, 1], port: UInt16 = i % 4 == 1 ? 80 : 443, sport = UInt16(20000 + i % 30000)
                out.append(Frames.tcp(client, sport, server, port, flags: 0x02, seq: 1))
                if expiring && i % 3 == 0 { continue }
                out.append(Frames.tcp(server, port, client, sport, flags: 0x12, seq: 100))
                out.append(Frames.tcp(client, sport, server, port, flags: 0x18, seq: 2, payload: Array("hello \(i)".utf8)))
            }
            return out
        }
        let dir = NSTemporaryDirectory() + "demarc-end-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/end.yaml"
        try """
            scenario: end-of-input
            provider: Test
            nodes:
              gw-1: {role: gateway, addresses: [10.0.0.1]}
            zones:
              lan: {owner: customer, cidrs: [10.1.0.0/16]}
            filters:
              ingress:
                default: deny
                rules:
                  - {name: https, from: [lan], to: [gw-1], ports: [tcp/443]}

            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        for expiring in [true, false] {
            let path = dir + "/flows-\(expiring).pcap"
            try Data(Frames.pcap(frames(expiring: expiring))).write(to: URL(fileURLWithPath: path))
            for format in expiring ? ["jsonl", "json", "ecs", "ocsf"] : ["json"] {
                func report(_ workers: Int, perFlow: Bool = false) throws -> (Int32, String) {
                    var env = ProcessInfo.processInfo.environment
                    if perFlow { env["DEMARC_END_PER_FLOW"] = "1" }
                    let r = try CLI.run(["replay", path, "--scenario", scenario, "--idle-timeout", "100000",
                                         "--embryonic-timeout", "20", "--format", format, "--no-progress",
                                         "--workers", String(workers)], environment: env)
                    return (r.status, r.stdout.replacingOccurrences(of: #""active_flows_peak": ?[0-9]+,"#, with: "",
                                                                    options: .regularExpression))
                }
                let (s1, one) = try report(1)
                #expect(s1 == 0)
                #expect(one.contains("unfiltered-ingress"), "ingress on tcp/80 is unfiltered")
                if format == "jsonl" {
                    #expect(one.components(separatedBy: #""type":"flow""#).count - 1 == 2400)
                    #expect(one.contains(#""name":"https","line":11,"action":"allow","flows":1800"#), "rule counted: \(one.suffix(600))")
                }
                for (n, perFlow) in [(2, false), (3, false), (2, true)] {
                    let (sn, many) = try report(n, perFlow: perFlow)
                    #expect(sn == s1)
                    #expect(many == one, "\(format) with --workers \(n)\(perFlow ? " (flow by flow)" : "") differs from --workers 1")
                }
            }
        }
    }

    @Test func badWorkerCountIsAUsageError() throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--workers", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--workers"))
    }
}
