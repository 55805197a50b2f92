import Foundation
import Testing

/// Frames for the CLI tests (the same builders the core tests use, kept small here).
enum Frames {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)] }

    static func tcp(_ src: [UInt8], _ sport: UInt16, _ dst: [UInt8], _ dport: UInt16, flags: UInt8, seq: UInt32, payload: [UInt8] = []) -> [UInt8] {
        let tcp = be16(sport) + be16(dport) + [UInt8(seq >> 24), UInt8(seq >> 16 & 255), UInt8(seq >> 8 & 255), UInt8(seq & 255)]
            + [0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0] + payload
        let ip: [UInt8] = [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 1, 0x40, 0, 64, 6, 0, 0] + src + dst
        return [UInt8](repeating: 2, count: 12) + [0x08, 0x00] + ip + tcp
    }

    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var out = le32(0xa1b2c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (i, f) in frames.enumerated() {
            out += le32(1_700_000_000 + UInt32(i)) + le32(250_000) + le32(UInt32(f.count)) + le32(UInt32(f.count)) + f
        }
        return out
    }

    /// A short HTTP exchange on one TCP connection plus a second connection.
    static var sample: [[UInt8]] {
        let c: [UInt8] = [10, 0, 0, 5], s: [UInt8] = [93, 184, 216, 34]
        let get = Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)
        let ok = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        return [
            tcp(c, 41000, s, 80, flags: 0x02, seq: 1), tcp(s, 80, c, 41000, flags: 0x12, seq: 500),
            tcp(c, 41000, s, 80, flags: 0x18, seq: 2, payload: get), tcp(s, 80, c, 41000, flags: 0x18, seq: 501, payload: ok),
            tcp(c, 41001, s, 443, flags: 0x02, seq: 9),
        ]
    }
}

@Suite struct ReplayCLITests {
    @Test func versionAndHelp() throws {
        let v = try CLI.run(["--version"])
        #expect(v.status == 0 && v.stdout.contains("0.1.0"))
        let h = try CLI.run(["replay", "--help"])
        #expect(h.status == 0 && h.stdout.contains("--scenario") && h.stdout.contains("--fail-on"))
    }

    @Test func usageErrorsExit2() throws {
        let r = try CLI.run(["replay", "--frobnicate", "x.pcap"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("frobnicate"))
        let none = try CLI.run(["replay"])
        #expect(none.status == 2)
        let fmt = try CLI.run(["replay", "x.pcap", "--format", "xml"])
        #expect(fmt.status == 2)
    }

    @Test func missingAndNonCaptureFilesExit2() throws {
        let missing = try CLI.run(["replay", "/nonexistent/capture.pcap"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/capture.pcap") && missing.stderr.contains("No such file"))
        let text = try CLI.temp("notes.pcap", text: "this is not a capture\n")
        let notCapture = try CLI.run(["replay", text])
        #expect(notCapture.status == 2 && notCapture.stderr.contains("not a readable pcap"))
        let header = try CLI.temp("cut.pcap", Array(Frames.pcap([]).prefix(10)))
        #expect(try CLI.run(["replay", header]).status == 2)
        #expect(try CLI.run(["replay", NSTemporaryDirectory()]).status == 2)
    }

    @Test func badFilterExits2() throws {
        let path = try CLI.temp("s.pcap", Frames.pcap(Frames.sample))
        let r = try CLI.run(["replay", path, "--filter", "tcp port nope"])
        #expect(r.status == 2 && r.stderr.contains("--filter"))
        let ok = try CLI.run(["replay", path, "--filter", "tcp port 80", "--format", "json"])
        let doc = try #require(CLI.json(ok.stdout))
        #expect((doc["flows"] as? [Any])?.count == 1)
    }

    @Test func jsonReportIsCompleteAndOrdered() throws {
        let path = try CLI.temp("s.pcap", Frames.pcap(Frames.sample))
        let r = try CLI.run(["replay", path, "--format", "json"])
        #expect(r.status == 0)
        let doc = try #require(CLI.json(r.stdout))
        let flows = try #require(doc["flows"] as? [[String: Any]])
        #expect(flows.map { $0["id"] as? Int } == [1, 2])
        let f = flows[0]
        #expect(f["transport"] as? String == "tcp")
        #expect((f["client"] as? [String: Any])?["ip"] as? String == "10.0.0.5")
        #expect((f["server"] as? [String: Any])?["port"] as? Int == 80)
        #expect((f["packets"] as? [String: Any])?["to_server"] as? Int == 2)
        #expect(f["first_seen"] as? String == "2023-11-14T22:13:20.250000Z")
        #expect(f["segment"] as? String == "external" && f["responsible"] as? String == "customer")
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["flows"] as? Int == 2 && summary["packets"] as? Int == 5)
        let inputs = try #require(doc["inputs"] as? [[String: Any]])
        #expect(inputs[0]["link_type"] as? String == "EN10MB" && inputs[0]["packets"] as? Int == 5)
        if CLI.hasSchemaValidator {
            #expect(try CLI.schemaProblem(r.stdout) == nil)
        }
    }

    @Test func jsonLinesEndWithTheSummary() throws {
        let path = try CLI.temp("s.pcap", Frames.pcap(Frames.sample))
        let r = try CLI.run(["replay", path, "--format", "jsonl"])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.prefix(2).allSatisfy { CLI.json($0)?["type"] as? String == "flow" })
        let last = try #require(CLI.json(lines[2]))
        #expect(last["type"] as? String == "summary" && last["flows"] == nil && last["summary"] != nil)
    }

    @Test func truncatedCaptureReportsWhatWasRead() throws {
        let full = Frames.pcap(Frames.sample)
        let path = try CLI.temp("cut.pcap", Array(full.dropLast(20)))
        let r = try CLI.run(["replay", path, "--format", "json"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("cut off"))
        let doc = try #require(CLI.json(r.stdout))
        let input = try #require((doc["inputs"] as? [[String: Any]])?.first)
        #expect(input["truncated"] as? Bool == true)
        #expect(input["packets"] as? Int == 4)
        #expect((doc["flows"] as? [Any])?.count == 1)
    }

    @Test func severalCapturesAreOneReplay() throws {
        let frames = Frames.sample
        let a = try CLI.temp("a.pcap", Frames.pcap(Array(frames.prefix(2))))
        let b = try CLI.temp("b.pcap", Frames.pcap(Array(frames.suffix(3))))
        let r = try CLI.run(["replay", a, b, "--format", "json"])
        let doc = try #require(CLI.json(r.stdout))
        #expect((doc["inputs"] as? [Any])?.count == 2)
        #expect((doc["summary"] as? [String: Any])?["flows"] as? Int == 2)
    }

    @Test func outputFileAndOtherFormats() throws {
        let path = try CLI.temp("s.pcap", Frames.pcap(Frames.sample))
        let out = NSTemporaryDirectory() + "demarc-\(UUID().uuidString).csv"
        let r = try CLI.run(["replay", path, "--format", "csv", "--output", out])
        #expect(r.status == 0 && r.stdout.isEmpty)
        let csv = try String(contentsOfFile: out, encoding: .utf8)
        #expect(csv.hasPrefix("id,transport,ip_version,client_ip"))
        #expect(csv.split(separator: "\r\n").count == 3)
        for f in ["table", "markdown", "html"] {
            let t = try CLI.run(["replay", path, "--format", f])
            #expect(t.status == 0 && t.stdout.contains("10.0.0.5"))
        }
    }

    static var malformed: URL { CLI.shared.appendingPathComponent("corpus/malformed") }
    static var ndpiCaptures: URL { CLI.shared.appendingPathComponent("corpus/ndpi/pcap") }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: malformed.path),
                   "needs ../shared/corpus/malformed beside the project (absent in a fresh clone)"))
    func malformedCorpusNeverCrashesOrHangs() throws {
        let dir = Self.malformed
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        var failures: [String] = []
        for f in files.sorted() {
            let r = try CLI.run(["replay", dir.appendingPathComponent(f).path, "--format", "jsonl"], timeout: 10)
            if r.timedOut || !(0...2).contains(r.status) {
                failures.append("\(f): \(r.timedOut ? "timed out" : "exit \(r.status)") \(r.stderr.suffix(200))")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(files.count > 100)
    }

    @Test(.enabled(if: CLI.hasSchemaValidator && FileManager.default.fileExists(atPath: ndpiCaptures.path),
                   "needs ../shared (spec and nDPI corpus) beside the project and python3 jsonschema"))
    func realCapturesValidateAgainstTheSchema() throws {
        let dir = Self.ndpiCaptures
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        for f in files.filter({ $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }).sorted().prefix(40) {
            let r = try CLI.run(["replay", dir.appendingPathComponent(f).path, "--format", "json"])
            #expect((0...1).contains(r.status), "\(f): \(r.stderr)")
            let problem = try CLI.schemaProblem(r.stdout)
            #expect(problem == nil, "\(f): \(problem ?? "")")
        }
    }
}
