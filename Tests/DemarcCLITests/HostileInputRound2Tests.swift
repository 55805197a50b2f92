import Foundation
import Testing

/// Captures built byte by byte: classic pcap with any record times, and pcapng with any
/// timestamp, `if_tsresol` and `if_tsoffset`.
enum CaptureBytes {
    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    /// A TCP SYN from 10.0.0.1:40000 to 10.0.0.2:80 on Ethernet.
    static let frame = Frames.tcp([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80, flags: 0x02, seq: 1)

    /// A classic microsecond pcap whose records carry these seconds (and fractions).
    static func pcap(seconds: [(UInt32, UInt32)], frame: [UInt8] = frame) -> [UInt8] {
        pcap(records: seconds.map { ($0.0, $0.1, frame) })
    }

    static func pcap(records: [(UInt32, UInt32, [UInt8])]) -> [UInt8] {
        var out = le32(0xa1b2c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (s, f, frame) in records {
            out += le32(s) + le32(f) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        }
        return out
    }

    static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count)
        return le32(type) + le32(length) + padded + le32(length)
    }

    /// A pcapng section, one Ethernet interface, and an enhanced packet block per timestamp
    /// (in the interface's units).
    static func pcapng(_ timestamps: [UInt64], tsresol: UInt8? = nil, tsoffset: Int64? = nil, frame: [UInt8] = frame) -> [UInt8] {
        pcapng(records: timestamps.map { ($0, frame) }, tsresol: tsresol, tsoffset: tsoffset)
    }

    static func pcapng(records: [(UInt64, [UInt8])], tsresol: UInt8? = nil, tsoffset: Int64? = nil) -> [UInt8] {
        var options: [UInt8] = []
        if let r = tsresol { options += le16(9) + le16(1) + [r, 0, 0, 0] }
        if let o = tsoffset { options += le16(14) + le16(8) + le64(UInt64(bitPattern: o)) }
        if !options.isEmpty { options += [0, 0, 0, 0] }
        var out = block(0x0A0D0D0A, le32(0x1A2B3C4D) + le16(1) + le16(0) + le64(UInt64.max))
        out += block(1, le16(1) + le16(0) + le32(65535) + options)
        for (t, frame) in records {
            out += block(6, le32(0) + le32(UInt32(t >> 32)) + le32(UInt32(t & 0xffff_ffff)) + le32(UInt32(frame.count))
                         + le32(UInt32(frame.count)) + frame)
        }
        return out
    }

    /// `count` connections' first packets, a second apart, each 1400 bytes of payload:
    /// about 1.5 KB a record, one flow each.
    static func manyFlows(_ count: Int) -> [(seconds: UInt32, frame: [UInt8])] {
        let payload = [UInt8](repeating: 0x41, count: 1400)
        return (0..<count).map { i in
            let client: [UInt8] = [10, 0, UInt8(i >> 8 & 255), 1]
            let port = UInt16(10000 + i % 50000)
            let frame = Frames.tcp(client, port, [10, 0, 0, 2], 80, flags: 0x18, seq: 1, payload: payload)
            return (1_700_000_000 + UInt32(i), frame)
        }
    }
}

/// Issue 27, the capture side: hostile captures, files and options, end to end. Each
/// case is a command, its exit status (0 to 3, never a signal), the first words of its
/// message and what was written.
@Suite struct HostileInputRound2Tests {
    static let good = "captures/overlay-network.pcap"

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-hostile2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The jsonl report's flow lines and its summary.
    func jsonl(_ text: String) -> (flows: [[String: Any]], summary: [String: Any]?) {
        let lines = text.split(separator: "\n").compactMap { CLI.json(String($0)) }
        return (lines.filter { $0["type"] as? String == "flow" }, lines.last { $0["type"] as? String == "summary" })
    }

    func input(_ summary: [String: Any]?, _ i: Int) -> [String: Any] {
        ((summary?["inputs"] as? [[String: Any]]) ?? []).dropFirst(i).first ?? [:]
    }

    static var goodFlows: Int {
        get throws {
            let r = try CLI.run(["replay", good, "--format", "jsonl"])
            return r.stdout.split(separator: "\n").count - 1
        }
    }

    // MARK: 1. timestamps no date can hold

    /// A pcapng record whose time overflows (near 2^64 µs, a resolution of whole seconds
    /// or 2^0, a huge negative offset) is counted as undecoded with one warning; the
    /// good records around it, and the captures before it, are reported. Through a file,
    /// standard input, one or two workers, `--output` and `diff`.
    @Test(arguments: [
        ("near-2^64", CaptureBytes.pcapng([1_700_000_000_000_000, UInt64.max, 1_700_000_000_000_001]), 1),
        ("tsresol-0", CaptureBytes.pcapng([1_700_000_000, 1_700_000_000_000_000], tsresol: 0), 1),
        ("tsresol-0x80", CaptureBytes.pcapng([1 << 63 + 5, 1_700_000_001], tsresol: 0x80), 1),
        ("tsoffset", CaptureBytes.pcapng([1_700_000_000_000_000, 1_700_000_000_000_001], tsoffset: -(1 << 62)), 2),
    ])
    func overflowingTimestampsAreData(_ name: String, _ bytes: [UInt8], _ bad: Int) throws {
        let path = try CLI.temp("\(name).pcapng", bytes)
        let expectedFlows = try Self.goodFlows + (bad == 2 ? 0 : 1)
        let warning = "demarc: \(path): \(bad) packet\(bad == 1 ? "" : "s") with a timestamp outside 1970-01-01...9999-12-31"
        for extra in [["--workers", "1"], ["--workers", "2"]] {
            let r = try CLI.run(["replay", Self.good, path, "--format", "jsonl"] + extra)
            #expect(r.status == 0, "\(extra) \(r.stderr)")
            #expect(r.stderr.droppingNotice.hasPrefix(warning), "\(r.stderr)")
            let (flows, summary) = jsonl(r.stdout)
            #expect(flows.count == expectedFlows, "\(extra)")
            #expect(input(summary, 1)["undecoded"] as? Int == bad, "\(extra)")
            #expect(input(summary, 1)["packets"] as? Int == (name == "near-2^64" ? 3 : 2), "\(extra)")
        }
        let stdin = try CLI.run(["replay", "-", "--format", "jsonl"], stdin: path)
        #expect(stdin.status == 0 && stdin.stderr.droppingNotice.hasPrefix("demarc: -: \(bad) packet"), "\(stdin.stderr)")
        #expect(jsonl(stdin.stdout).summary != nil)
        let out = try scratch().appendingPathComponent("r.json").path
        let written = try CLI.run(["replay", Self.good, path, "--format", "json", "--output", out])
        #expect(written.status == 0 && written.stdout.isEmpty)
        let report = CLI.json(try String(contentsOfFile: out, encoding: .utf8))
        #expect((report?["flows"] as? [Any])?.count == expectedFlows)
        let scenario = "scenarios/overlay-network.yaml"
        let diff = try CLI.run(["diff", Self.good, path, "--scenario", scenario, "--against", scenario, "--format", "json"])
        #expect(diff.status == 0 && diff.stderr.droppingNotice.hasPrefix(warning), "\(diff.stderr)")
    }

    /// A corrupt capture after a good one: exit 2, after the good one's flows.
    @Test func corruptCaptureAfterAGoodOneIsReportedThenExit2() throws {
        // A block whose length is below the minimum after one good packet.
        let corrupt = CaptureBytes.pcapng([1_700_000_000_000_000]) + CaptureBytes.le32(6) + CaptureBytes.le32(8) + [0, 0, 0, 0]
        let path = try CLI.temp("corrupt.pcapng", corrupt)
        for workers in ["1", "2"] {
            let r = try CLI.run(["replay", Self.good, path, "--format", "jsonl", "--workers", workers])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.droppingNotice.hasPrefix("demarc: \(path): corrupt capture after 1 packets"), "\(r.stderr)")
            let (flows, summary) = jsonl(r.stdout)
            #expect(try flows.count == Self.goodFlows + 1)
            #expect(input(summary, 1)["truncated"] as? Bool == true)
        }
    }

    // MARK: 2. a capture shortened while it is read

    /// A capture another program shortens while demarc reads it (logrotate's
    /// copytruncate) ends as a truncated capture: a warning, `truncated: true`, the report
    /// written, exit 0. The run is held mid-file by not reading its output until the pipe
    /// is full; then the file is cut to 4 MB, below the part already read ahead (8 MB of
    /// a classic pcap) and the rest.
    @Test(arguments: ["pcap", "pcapng"])
    func captureShrinkingWhileReadEndsTruncated(_ format: String) throws {
        let flows = CaptureBytes.manyFlows(7000)
        let bytes = format == "pcap" ? CaptureBytes.pcap(records: flows.map { ($0.seconds, 0, $0.frame) })
            : CaptureBytes.pcapng(records: flows.map { (UInt64($0.seconds) * 1_000_000, $0.frame) })
        #expect(bytes.count > 10_000_000)
        let path = try scratch().appendingPathComponent("rotating.\(format)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["replay", path, "--format", "jsonl", "--idle-timeout", "0.001", "--workers", "1"]
        let out = Pipe()
        let errPath = path + ".err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        // The pipe full (most of its 64 KB waiting, and no more coming): demarc is blocked
        // writing, partway through the file.
        let fd = out.fileHandleForReading.fileDescriptor
        var waiting: Int32 = 0, before: Int32 = -1
        let deadline = Date().addingTimeInterval(30)
        while !(waiting > 60000 && waiting == before) && Date() < deadline && p.isRunning {
            before = waiting
            usleep(100_000)
            _ = ioctl(fd, UInt(FIONREAD), &waiting)
        }
        #expect(waiting > 60000, "demarc is held by its full output pipe")
        #expect(truncate(path, 4_000_000) == 0)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let stderr = try String(contentsOfFile: errPath, encoding: .utf8)
        #expect(p.terminationReason == .exit && p.terminationStatus == 0, "\(p.terminationReason) \(p.terminationStatus) \(stderr)")
        #expect(stderr.droppingNotice.hasPrefix("demarc: \(path): capture is cut off"), "\(stderr)")
        #expect(stderr.contains("the file shrank from \(bytes.count) to 4000000 bytes while it was read"), "\(stderr)")
        let (reported, summary) = jsonl(text)
        #expect(input(summary, 0)["truncated"] as? Bool == true)
        #expect(reported.count > 100 && reported.count == input(summary, 0)["packets"] as? Int)
    }

    // MARK: 3. both ends of every documented range

    /// Every numeric option at both ends of its documented range is accepted, and just
    /// past either end refused with the range named (README "Limits").
    @Test(arguments: [
        (["replay", good, "--idle-timeout", "0.0009"], "Error: --idle-timeout must be between 0.001 and 31536000 seconds, not 0.0009"),
        (["replay", good, "--idle-timeout", "31536000.5"], "Error: --idle-timeout must be between 0.001 and 31536000 seconds"),
        (["replay", good, "--workers", "0"], "Error: --workers must be between 1 and 256, not 0"),
        (["replay", good, "--workers", "257"], "Error: --workers must be between 1 and 256, not 257"),
        (["replay", good, "--rows", "-1"], "Error: --rows must be 0 or more, not -1"),
        (["monitor", "--interface", "lo", "--duration", "0.0009"], "Error: --duration must be between 0.001 and 315360000 seconds, not 0.0009"),
        (["monitor", "--interface", "lo", "--duration", "315360001"], "Error: --duration must be between 0.001 and 315360000 seconds, not 315360001"),
        (["monitor", "--interface", "lo", "--snaplen", "0"], "Error: --snaplen must be between 1 and 262144 bytes, not 0"),
        (["monitor", "--interface", "lo", "--snaplen", "262145"], "Error: --snaplen must be between 1 and 262144 bytes, not 262145"),
        (["monitor", "--interface", "lo", "--buffer-size", "0"], "Error: --buffer-size must be between 1 and 4096 MiB, not 0"),
        (["monitor", "--interface", "lo", "--buffer-size", "4097"], "Error: --buffer-size must be between 1 and 4096 MiB, not 4097"),
    ])
    func rangesRefusedPastTheirEnds(_ args: [String], _ message: String) throws {
        let r = try CLI.run(args)
        #expect(r.status == 2 && r.stderr.droppingNotice.hasPrefix(message), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: [["--idle-timeout", "0.001"], ["--idle-timeout", "31536000"], ["--workers", "1"], ["--workers", "256"],
                      ["--rows", "0"]])
    func replayRangesAcceptedAtTheirEnds(_ args: [String]) throws {
        let r = try CLI.run(["replay", Self.good, "--format", "json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(CLI.json(r.stdout) != nil)
    }

    /// The kernel buffer takes libpcap's int: 2048 MiB and more were an overflow that
    /// killed the process. Each end, with one worker and with two (each worker's share).
    @Test(.enabled(if: MonitorCLITests.canCapture, "capturing on lo needs root, or CAP_NET_RAW and CAP_NET_ADMIN: skipped"),
          arguments: [["--buffer-size", "1"], ["--buffer-size", "2048"], ["--buffer-size", "4096"],
                      ["--buffer-size", "2048", "--workers", "2"], ["--snaplen", "1"], ["--snaplen", "262144"],
                      ["--duration", "0.001"], ["--idle-timeout", "0.001"], ["--idle-timeout", "31536000"]])
    func monitorRangesAcceptedAtTheirEnds(_ args: [String]) throws {
        let workers = args.contains("--workers") ? [] : ["--workers", "1"]
        let duration = args.contains("--duration") ? [] : ["--duration", "0.2"]
        let r = try CLI.run(["monitor", "--interface", "lo", "--format", "json"] + duration + workers + args, timeout: 30)
        #expect(r.status == 0 && !r.timedOut, "\(r.stderr)")
        #expect(r.stderr.droppingNotice.hasPrefix("demarc: listening on lo"), "\(r.stderr)")
        #expect(CLI.json(r.stdout) != nil)
    }

    /// `--duration`'s upper end (ten years) is accepted: the run is stopped by SIGINT and
    /// reports.
    @Test(.enabled(if: MonitorCLITests.canCapture, "capturing on lo needs root, or CAP_NET_RAW and CAP_NET_ADMIN: skipped"))
    func longestDurationIsAccepted() throws {
        let r = try Self.monitorUntilListening(["monitor", "--interface", "lo", "--format", "json", "--duration", "315360000"]) { pid in
            kill(pid, SIGINT)
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(CLI.json(r.stdout) != nil)
    }

    /// Runs demarc until it says it is listening, calls `then` with its process id, and
    /// waits for it to end.
    static func monitorUntilListening(_ args: [String], then: (pid_t) -> Void) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-listen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let outPath = dir.appendingPathComponent("out").path, errPath = dir.appendingPathComponent("err").path
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning && Date() < deadline {
            if (try? String(contentsOfFile: errPath, encoding: .utf8))?.contains("listening on") == true { break }
            usleep(20_000)
        }
        then(p.processIdentifier)
        let end = Date().addingTimeInterval(20)
        while p.isRunning && Date() < end { usleep(20_000) }
        let timedOut = p.isRunning
        if timedOut { p.terminate() }
        p.waitUntilExit()
        return CLI.Result(status: p.terminationReason == .exit ? p.terminationStatus : 128 + p.terminationStatus,
                          stdout: try String(contentsOfFile: outPath, encoding: .utf8),
                          stderr: try String(contentsOfFile: errPath, encoding: .utf8), timedOut: timedOut)
    }

    // MARK: 8. an interface that disappears

    static var canMakeInterfaces: Bool {
        getuid() == 0 && ((try? CLI.run(["/usr/bin/unshare", "-n", "/bin/sh", "-c",
                                          "ip link add a0 type veth peer name b0"], shellCommand: true))?.status == 0)
    }

    /// An interface deleted while monitored: the report is written, stderr says why, and
    /// the exit status is 3 (not 0, which a supervisor reads as a clean stop). In a
    /// network namespace of its own, on a veth pair, with one worker and two.
    @Test(.enabled(if: canMakeInterfaces, "needs root and veth in a network namespace: skipped"), arguments: ["1", "2"])
    func interfaceThatDisappearsExits3AfterTheReport(_ workers: String) throws {
        let dir = try scratch()
        let report = dir.appendingPathComponent("report.json").path, err = dir.appendingPathComponent("err").path
        let script = """
            ip link add a0 type veth peer name b0 && ip link set a0 up && ip link set b0 up || exit 99
            "$0" monitor --interface a0 --workers \(workers) --format json --output "$1" 2>"$2" &
            pid=$!
            for i in $(seq 200); do grep -q listening "$2" && break; sleep 0.05; done
            ip link del b0
            wait $pid
            echo "status=$?"
            """
        let r = try CLI.run(["/usr/bin/unshare", "-n", "/bin/sh", "-c", script, CLI.binary, report, err], shellCommand: true)
        let stderr = try String(contentsOfFile: err, encoding: .utf8)
        #expect(r.stdout == "status=3\n", "\(r.stdout) \(r.stderr) \(stderr)")
        let lines = stderr.droppingNotice.split(separator: "\n")
        #expect(lines.first?.hasPrefix("demarc: listening on a0") == true, "\(stderr)")
        #expect(lines.contains { $0.hasPrefix("demarc: capture on a0 failed: ") && $0.hasSuffix("; reporting what was captured") },
                "\(stderr)")
        let json = CLI.json(try String(contentsOfFile: report, encoding: .utf8))
        #expect((json?["inputs"] as? [[String: Any]])?.first?["name"] as? String == "a0")
    }

    // MARK: 12. classic pcap seconds are unsigned

    /// A classic pcap's seconds field is unsigned: 2^31 s is 2038, 0xffffffff is 2106
    /// (they came out as 1901 and 1969). Read from the file, from standard input and
    /// with a filter (both through libpcap).
    @Test func classicPcapSecondsAreUnsigned() throws {
        let records: [(UInt32, UInt32, [UInt8])] = [(0x7fff_ffff, 1), (0x8000_0000, 2), (0xffff_ffff, 999_999)].enumerated().map { i, t in
            (t.0, t.1, Frames.tcp([10, 0, 0, 1], UInt16(40000 + i), [10, 0, 0, 2], 80, flags: 0x02, seq: 1))
        }
        let path = try CLI.temp("late.pcap", CaptureBytes.pcap(records: records))
        let expected = ["2038-01-19T03:14:07.000001Z", "2038-01-19T03:14:08.000002Z", "2106-02-07T06:28:15.999999Z"]
        for (args, stdin) in [([path], nil), (["-"], path), ([path, "--filter", "ip or not ip"], nil)] {
            let r = try CLI.run(["replay", "--format", "jsonl"] + args, stdin: stdin)
            #expect(r.status == 0 && r.stderr.droppingNotice.isEmpty, "\(r.stderr)")
            #expect(jsonl(r.stdout).flows.compactMap { $0["first_seen"] as? String } == expected, "\(args)")
        }
    }

    // MARK: 9. many captures

    /// Thousands of captures, options between them: every one is read, in the order given
    /// (the captures bypass ArgumentParser's quadratic handling; CaptureListTests checks
    /// what it is given does not grow with them).
    @Test(arguments: ["1", "2"]) func thousandsOfCapturesInOrder(_ workers: String) throws {
        let dir = try scratch()
        let n = 3000
        var args = ["replay"]
        for i in 0..<n {
            let path = dir.appendingPathComponent("c\(i).pcap").path
            try Data(CaptureBytes.pcap(seconds: [(1_700_000_000 + UInt32(i), 0)])).write(to: URL(fileURLWithPath: path))
            args.append(path)
            if i == 1 { args += ["--format", "jsonl"] }
            if i == 2 { args += ["--workers", workers] }
        }
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr.prefix(500))")
        let inputs = jsonl(r.stdout).summary?["inputs"] as? [[String: Any]] ?? []
        #expect(inputs.compactMap { $0["name"] as? String } == (0..<n).map { dir.appendingPathComponent("c\($0).pcap").path })
    }

    // MARK: 4. a crash never holds the caller's pipes

    /// A fatal error (forced in a debug build by DEMARC_TEST_CRASH) is exit 3 at once,
    /// with the runtime's message and one line of demarc's, and both pipes reach their
    /// end: no backtracer keeps them open. With SWIFT_BACKTRACE set, the runtime's own
    /// handling applies (here `enable=no`: the signal).
    @Test func aCrashEndsAtOnceWithExit3() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DEMARC_TEST_CRASH"] = "1"
        environment["SWIFT_BACKTRACE"] = nil
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["replay", Self.good]
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let start = Date()
        try p.run()
        // Both pipes to their end (read without blocking, within 20 s).
        var texts = ["", ""]
        for (i, pipe) in [out, err].enumerated() {
            let fd = pipe.fileHandleForReading.fileDescriptor
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date().timeIntervalSince(start) < 20 {
                let n = read(fd, &buffer, buffer.count)
                if n == 0 { break }
                if n > 0 { texts[i] += String(decoding: buffer[..<n], as: UTF8.self) } else { usleep(10_000) }
            }
        }
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(start) < 10, "the pipes closed at once")
        #expect(p.terminationReason == .exit && p.terminationStatus == 3)
        #expect(texts[0].isEmpty)
        #expect(texts[1].contains("Fatal error: crash forced by DEMARC_TEST_CRASH"), "\(texts[1])")
        #expect(texts[1].split(separator: "\n").last?.hasPrefix("demarc: internal error: stopped by SIG") == true, "\(texts[1])")
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let runtime = try CLI.run(["replay", Self.good], timeout: 20, environment: environment)
        #expect(runtime.status != 3 && !runtime.stderr.contains("demarc: internal error"), "\(runtime.stderr)")
    }
}
