import Foundation
import Testing

/// What a careless or hostile user does to demarc, end to end: each case is a command,
/// the exit status it must give and the first words of its message. Bad input is exit
/// 2 with one located message, a failed write exit 3; nothing crashes, hangs, or
/// destroys what it reads.
@Suite struct HostileInputTests {
    static let capture = "captures/iaas-vms.pcap"

    struct Case: CustomTestStringConvertible, Sendable {
        var args: [String]
        var status: Int32
        var message: String
        var testDescription: String { args.joined(separator: " ") }
    }

    /// Values the command line must refuse before any work, naming the allowed range.
    @Test(arguments: [
        Case(args: ["monitor", "--interface", "lo", "--duration", "1e13"], status: 2, message: "Error: --duration must be between 0.001 and 315360000 seconds"),
        Case(args: ["monitor", "--interface", "lo", "--duration", "inf"], status: 2, message: "Error: --duration takes a number of seconds"),
        Case(args: ["monitor", "--interface", "lo", "--duration", "1e308"], status: 2, message: "Error: --duration must be between"),
        Case(args: ["monitor", "--interface", "lo", "--duration", "nan"], status: 2, message: "Error: --duration takes a number of seconds"),
        Case(args: ["monitor", "--interface", "lo", "--duration", "0"], status: 2, message: "Error: --duration must be between"),
        Case(args: ["replay", capture, "--idle-timeout", "-1"], status: 2, message: "Error: --idle-timeout must be between 0.001 and 31536000 seconds, not -1"),
        Case(args: ["replay", capture, "--idle-timeout", "1e9"], status: 2, message: "Error: --idle-timeout must be between 0.001 and 31536000 seconds, not 1e9"),
        Case(args: ["replay", capture, "--idle-timeout", "9.3e12"], status: 2, message: "Error: --idle-timeout must be between"),
        Case(args: ["replay", capture, "--idle-timeout", "soon"], status: 2, message: "Error: --idle-timeout takes a number of seconds"),
        Case(args: ["monitor", "--interface", "lo", "--snaplen", "-5"], status: 2, message: "Error: --snaplen must be between 1 and 262144 bytes"),
        Case(args: ["monitor", "--interface", "lo", "--snaplen", "99999999999999999999"], status: 2, message: "Error: --snaplen takes a whole number"),
        Case(args: ["monitor", "--interface", "lo", "--buffer-size", "1e3"], status: 2, message: "Error: --buffer-size takes a whole number"),
        Case(args: [], status: 2, message: "OVERVIEW:"),
        Case(args: ["replay", "/nonexistent.pcap"], status: 2, message: "demarc: /nonexistent.pcap: No such file"),
        Case(args: ["replay", "/tmp"], status: 2, message: "demarc: /tmp: is a directory, not a capture"),
        Case(args: ["scenario", "check", "/tmp"], status: 2, message: "demarc: /tmp: is a directory, not a scenario file"),
        Case(args: ["replay", "-", "-"], status: 2, message: "demarc: standard input (-) can be read only once"),
    ])
    func refusedWithItsRange(_ c: Case) throws {
        let r = try CLI.run(c.args, timeout: 20)
        #expect(!r.timedOut)
        #expect(r.status == c.status, "\(r.stderr)")
        #expect(r.stderr.hasPrefix(c.message), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// A filter libpcap would compile for minutes in gigabytes is refused at once.
    @Test func filterBeyondItsLimits() throws {
        let terms = { (n: Int) in (0..<n).map { "host 10.0.\($0 / 250).\($0 % 250 + 1)" }.joined(separator: " or ") }
        let r = try CLI.run(["replay", Self.capture, "--filter", terms(300)], timeout: 20)
        #expect(r.status == 2 && !r.timedOut)
        #expect(r.stderr.hasPrefix("Error: --filter joins 300 terms with and/or; at most 200"), "\(r.stderr.prefix(300))")
        let long = try CLI.run(["replay", Self.capture, "--filter", terms(5000)], timeout: 20)
        #expect(long.status == 2 && long.stderr.hasPrefix("Error: --filter is 95336 characters long; at most 16384"), "\(long.stderr.prefix(300))")
        // `&&`/`||` count as joins too; a filter under the limit still works.
        let ok = try CLI.run(["replay", Self.capture, "--filter", "tcp||udp&&not icmp", "--format", "jsonl"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    // MARK: the report never destroys an input

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func outputNamingAnInputIsRefused() throws {
        let dir = try scratch()
        let pcap = dir.appendingPathComponent("big.pcap").path
        let yaml = dir.appendingPathComponent("s.yaml").path
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent(Self.capture).path, toPath: pcap)
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent("scenarios/iaas-vms.yaml").path, toPath: yaml)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("alias.pcap").path, withDestinationPath: pcap)
        let before = try Data(contentsOf: URL(fileURLWithPath: pcap)), scenarioBefore = try Data(contentsOf: URL(fileURLWithPath: yaml))
        for (output, input) in [(pcap, pcap), (dir.appendingPathComponent("alias.pcap").path, pcap),
                                (dir.path + "/./s.yaml", yaml)] {
            let r = try CLI.run(["replay", pcap, "--scenario", yaml, "--output", output, "--format", "jsonl"])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("demarc: --output \(output) is the input \(input); refusing to overwrite it"), "\(r.stderr)")
        }
        // The same capture on standard input, the report over it: refused too.
        let stdin = try CLI.run(["replay", "-", "--output", pcap], stdin: pcap)
        #expect(stdin.status == 2 && stdin.stderr.contains("is the input on standard input"), "\(stdin.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pcap)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: yaml)) == scenarioBefore)
    }

    /// A report is an unnamed file (O_TMPFILE) until it is complete, then put in place:
    /// a run killed halfway, even by SIGKILL, leaves the previous report as it was and
    /// nothing beside it, during the run and after (issue 27).
    @Test func aKilledRunLeavesThePreviousReport() throws {
        let dir = try scratch()
        let report = dir.appendingPathComponent("report.json").path
        try Data("previous report\n".utf8).write(to: URL(fileURLWithPath: report))
        let fifo = dir.appendingPathComponent("capture.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["replay", fifo, "--output", report, "--format", "json"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Half a capture through the FIFO, then the run is killed mid-read.
        let pcap = try Data(contentsOf: CLI.packageRoot.appendingPathComponent(Self.capture))
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: fifo))
        try writer.write(contentsOf: pcap.prefix(pcap.count / 2))
        usleep(300_000)
        let alone = ["capture.fifo", "report.json"]
        #expect(try String(contentsOfFile: report, encoding: .utf8) == "previous report\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == alone)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try writer.close()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(try String(contentsOfFile: report, encoding: .utf8) == "previous report\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == alone)
        // A run that completes replaces it, with the mode a new file would have.
        let done = try CLI.run(["replay", Self.capture, "--output", report, "--format", "json"])
        #expect(done.status == 0)
        #expect(CLI.json(try String(contentsOfFile: report, encoding: .utf8)) != nil)
        let mode = try FileManager.default.attributesOfItem(atPath: report)[.posixPermissions] as? Int
        #expect(mode == 0o644)
    }

    /// Devices are written in place, and a write that fails is exit 3 in every command.
    @Test func writeErrorsExit3() throws {
        #expect(try CLI.run(["replay", Self.capture, "--output", "/dev/null"]).status == 0)
        let r = try CLI.run(["replay", Self.capture, "--scenario", "scenarios/iaas-vms.yaml", "--output", "/dev/full"])
        #expect(r.status == 3 && r.stderr.hasPrefix("demarc: writing the report failed: No space left on device"), "\(r.stderr)")
        let stdout = try CLI.run(["replay", Self.capture, "--format", "jsonl"], stdout: "/dev/full")
        #expect(stdout.status == 3, "\(stdout.stderr)")
        let check = try CLI.run(["scenario", "check", "scenarios/iaas-vms.yaml"], stdout: "/dev/full")
        #expect(check.status == 3 && check.stderr.contains("No space left on device"), "\(check.stderr)")
        let schema = try CLI.run(["scenario", "schema"], stdout: "/dev/full")
        #expect(schema.status == 3 && schema.stderr.contains("No space left on device"), "\(schema.stderr)")
        let initial = try CLI.run(["scenario", "init", Self.capture, "--output", "/dev/full", "--no-progress"])
        #expect(initial.status == 3 && initial.stderr.contains("No space left on device"), "\(initial.stderr)")
    }

    @Test(.enabled(if: MonitorCLITests.canCapture, "capturing on lo needs root, or CAP_NET_RAW and CAP_NET_ADMIN"))
    func monitorWriteErrorsExit3() throws {
        let file = try CLI.run(["monitor", "--interface", "lo", "--duration", "0.5", "--output", "/dev/full"], timeout: 20)
        #expect(file.status == 3 && file.stderr.contains("No space left on device"), "\(file.stderr)")
        let stdout = try CLI.run(["monitor", "--interface", "lo", "--duration", "0.5", "--format", "json"], timeout: 20, stdout: "/dev/full")
        #expect(stdout.status == 3, "\(stdout.stderr)")
    }

    // MARK: captures as people chain them

    @Test func standardInputAndPipesAreCaptures() throws {
        let path = CLI.packageRoot.appendingPathComponent(Self.capture).path
        let file = try #require(CLI.json(try CLI.run(["replay", Self.capture, "--format", "json"]).stdout))
        let piped = try CLI.run(["replay", "-", "--format", "json"], stdin: path)
        #expect(piped.status == 0, "\(piped.stderr)")
        let doc = try #require(CLI.json(piped.stdout))
        #expect((doc["flows"] as? [Any])?.count == (file["flows"] as? [Any])?.count)
        let input = try #require((doc["inputs"] as? [[String: Any]])?.first)
        #expect(input["name"] as? String == "-" && input["packets"] as? Int == 90, "\(input)")
        // A pipe as a path (what `<(tcpdump -w - …)` hands over), beside a file.
        let sh = try CLI.run(["/bin/sh", "-c", "cat \(path) | \(CLI.binary) replay /dev/stdin \(path) --format jsonl | tail -1"],
                             timeout: 30, shellCommand: true)
        #expect(sh.status == 0 && sh.stdout.contains("\"summary\":{\"flows\":6,\"packets\":160,"), "\(sh.stderr)")
    }

    /// Rotated captures run to thousands of files: they are read one at a time.
    @Test func moreCapturesThanFileDescriptors() throws {
        let dir = try scratch()
        let source = CLI.packageRoot.appendingPathComponent(Self.capture).path
        var files: [String] = []
        for i in 0..<100 {
            let f = dir.appendingPathComponent("rotated-\(i).pcap").path
            try FileManager.default.copyItem(atPath: source, toPath: f)
            files.append(f)
        }
        let r = try CLI.run(["/bin/sh", "-c", "ulimit -n 40 && exec \(CLI.binary) replay \(files.joined(separator: " ")) --format jsonl | tail -1"],
                            timeout: 60, shellCommand: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "\"packets\":90,").count == 101, "all 100 files were read")
        #expect(r.stdout.contains("\"summary\":{\"flows\":6,\"packets\":8000,"), "\(r.stdout.suffix(600))")
        // A bad path among them still fails before any output.
        let bad = try CLI.run(["replay"] + files + ["/nonexistent.pcap"])
        #expect(bad.status == 2 && bad.stdout.isEmpty)
    }

    // MARK: hostile scenarios

    /// Each: the scenario's text, the message after `file:line:column: `, and the line.
    /// Scenarios the loader refuses, with the message and line (ScenarioSchemaTests
    /// checks the schema refuses them too, where it can judge them).
    static let hostileScenarios: [(String, String, Int)] = [
        ("scenario: x\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8]}\n  a: {owner: customer, cidrs: [11.0.0.0/8]}\n", "duplicate name 'a' in zones", 4),
        ("scenario: x\ndescription: a\ndescription: b\n", "duplicate key 'description' in the scenario", 3),
        ("scenario: x\nzones:\n  \"8.8.8.8\": {owner: customer, cidrs: [10.0.0.0/8]}\n", "the name '8.8.8.8' reads as an IP address or CIDR", 3),
        ("scenario: x\nnodes:\n  10.0.0.0/8: {addresses: [192.0.2.1]}\n", "the name '10.0.0.0/8' reads as an IP address or CIDR", 3),
        ("scenario: x\nzones:\n  \"2001:db8::1\": {owner: customer, cidrs: [10.0.0.0/8]}\n", "the name '2001:db8::1' reads as an IP address", 3),
        ("scenario: x\ndesc\u{0}ription: y\n", "contains a NUL byte", 2),
        ("scenario: x\ndescription: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n", "nested deeper than 32 levels", 2),
        ("scenario: x\nzones:\n  a: &z {owner: customer, cidrs: [10.0.0.0/8]}\nfilters:\n  egress:\n    rules:\n      - {to: *nope}\n", "alias *nope names no anchor defined before it", 7),
        ("scenario: \"\"\n", "the scenario's name is empty", 1),
        ("scenario: \"edge\\e[31m\"\n", "`scenario` contains control character U+001B", 1),
        ("scenario: x\nzones:\n  \"a\\u009b\": {owner: customer, cidrs: [10.0.0.0/8]}\n", "`name` contains control character U+009B", 3),
        ("scenario: x\nnodes:\n  n: {addresses: [010.0.0.1]}\n", "'010.0.0.1' has an octet with a leading zero", 3),
        ("scenario: x\nzones:\n  a: {owner: customer, cidrs: [10.0.0.08/32]}\n", "'10.0.0.08/32' has an octet with a leading zero", 3),
        ("scenario: x\n---\nscenario: y\n", "a second YAML document", 2),
        ("scenario: x\nexpect:\n  - {max: {severity: high, count: 99999999999999999999999}}\n", "count must be a whole number", 3),
    ]

    @Test(arguments: hostileScenarios) func hostileScenario(_ text: String, _ message: String, _ line: Int) throws {
        let path = try CLI.temp("hostile.yaml", text: text)
        let r = try CLI.run(["scenario", "check", path], timeout: 20)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("demarc: \(path):\(line):"), "located at line \(line): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(!r.stderr.contains("\u{0}") && !r.stderr.contains("\u{1b}"), "no raw control characters echoed")
    }

    /// The denied address stays an address: a zone may no longer be named after it,
    /// so the rule below reaches the real 8.8.8.8 and reports the critical finding.
    @Test func deniedAddressIsNotHiddenByAName() throws {
        let scenario = try CLI.temp("deny.yaml", text: """
            scenario: deny-dns
            zones:
              lan: {owner: customer, cidrs: [10.0.0.0/8]}
            filters:
              external:
                default: allow
                rules:
                  - {name: no-google-dns, action: deny, to: ["93.184.216.34"]}
            """)
        let pcap = try CLI.temp("s.pcap", Frames.pcap(Frames.sample))
        let r = try CLI.run(["replay", pcap, "--scenario", scenario, "--format", "json"])
        let flows = try #require(CLI.json(r.stdout)?["flows"] as? [[String: Any]])
        let codes = flows.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
        #expect(codes.contains("denied-traffic-observed"))
    }

    @Test func acceptedWithAWord() throws {
        // A UTF-8 byte-order mark is accepted; host bits are cleared with a located warning.
        let path = try CLI.temp("bom.yaml", text: "\u{FEFF}scenario: bom\nzones:\n  lan: {owner: customer, cidrs: [10.0.0.1/8]}\n")
        let r = try CLI.run(["scenario", "check", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("scenario bom: valid"))
        #expect(r.stderr == "demarc: \(path):3:34: 10.0.0.1/8 has host bits set below its prefix; read as 10.0.0.0/8\n", "\(r.stderr)")
    }

    /// Memory is bounded by the file, valid or not: 10 MB of `[a,a,…]` is rejected
    /// (the old loader needed 885 MB for it), and a file over the cap is refused unread.
    @Test func scenarioMemoryIsBounded() throws {
        let dir = try scratch()
        let list = dir.appendingPathComponent("list.yaml").path
        var text = "scenario: x\ndescription: ["
        text += String(repeating: "a,", count: 5_000_000)
        text += "a]\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: list))
        let (status, stderr, peakKB) = try Self.runMeasured(["scenario", "check", list])
        #expect(status == 2 && stderr.contains("`description` must be a single value"), "\(stderr)")
        #expect(peakKB < 20 * 10_000, "peak \(peakKB) KB for a 10 MB scenario")
        let huge = dir.appendingPathComponent("huge.yaml").path
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try h.truncate(atOffset: 65 << 20)
        try h.close()
        let big = try CLI.run(["scenario", "check", huge])
        #expect(big.status == 2 && big.stderr.contains("larger than 64 MiB"), "\(big.stderr)")
    }

    /// Runs demarc under python3 and reads its peak resident memory (getrusage).
    static func runMeasured(_ args: [String]) throws -> (Int32, String, Int) {
        let script = """
            import resource, subprocess, sys
            p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            sys.stdout.write("%d %d\\n" % (p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
            sys.stdout.write(p.stderr.decode())
            """
        let r = try CLI.run(["/usr/bin/env", "python3", "-c", script, CLI.binary] + args, timeout: 60, shellCommand: true)
        let first = r.stdout.split(separator: "\n", maxSplits: 1)
        let nums = first.first?.split(separator: " ").compactMap { Int($0) } ?? []
        return (Int32(nums.first ?? -1), first.count > 1 ? String(first[1]) : "", nums.count > 1 ? nums[1] : .max)
    }

    // MARK: text that reaches other programs

    /// A cell a spreadsheet would run as a formula is neutralised (OWASP).
    @Test func csvFormulaInjection() throws {
        let scenario = try CLI.temp("f.yaml", text: """
            scenario: formulas
            zones:
              "=HYPERLINK(\\"http://x\\")": {owner: customer, cidrs: [10.0.0.0/8]}
              "@SUM(1+1)": {owner: external, cidrs: [0.0.0.0/0]}
            """)
        let pcap = try CLI.temp("s.pcap", Frames.pcap(Frames.sample))
        let r = try CLI.run(["replay", pcap, "--scenario", scenario, "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(r.stdout.split(separator: "\r\n").dropFirst().first)
        #expect(row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "\(row)")
        #expect(row.contains(",\"'@SUM(1+1)\","), "\(row)")
        for line in r.stdout.split(separator: "\r\n") {
            for cell in line.split(separator: ",") {
                #expect(!["=", "+", "-", "@"].contains(cell.first.map(String.init) ?? ""), "cell \(cell)")
            }
        }
    }
}
