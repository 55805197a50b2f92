import Foundation
import Testing

/// `demarc monitor` for real: captures on the loopback interface while a real TLS stack,
/// an HTTP server and a DNS responder talk between two loopback addresses, is stopped
/// with SIGINT, and must have reported every flow with the right verdicts and findings.
@Suite struct MonitorCLITests {
    /// Capturing needs root, or CAP_NET_RAW and CAP_NET_ADMIN (bits 13 and 12).
    static var canCapture: Bool {
        if getuid() == 0 { return true }
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let caps = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return caps & (1 << 13) != 0 && caps & (1 << 12) != 0
    }

    static var hasTrafficTools: Bool {
        ["python3", "openssl"].allSatisfy { tool in
            (try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["sh", "-c", "command -v \(tool)"]))
                .map { p in p.waitUntilExit(); return p.terminationStatus == 0 } ?? false
        }
    }

    static let scenario = """
        scenario: loopback-monitor
        nodes:
          edge-1: {role: edge, addresses: [127.0.0.3]}
        zones:
          services: {owner: customer, cidrs: [127.0.0.2/32]}
        filters:
          egress:
            default: deny
            rules:
              - {name: tls, to: [services], ports: [tcp/8443]}
              - {name: dns, to: [services], ports: [udp/53], cleartext: accepted}
        """

    /// Values libpcap would silently replace, or that make no ring, are usage errors
    /// found before any capture starts (no privilege needed to see them).
    @Test(arguments: [["--snaplen", "0"], ["--snaplen", "300000"], ["--buffer-size", "0"], ["--buffer-size", "5000"]])
    func outOfRangeCaptureSettingsExit2(_ args: [String]) throws {
        let r = try CLI.run(["monitor", "--interface", "lo", "--duration", "1"] + args)
        #expect(r.status == 2)
        #expect(r.stderr.contains(args[0]), "\(r.stderr)")
    }

    @Test(.enabled(if: canCapture, "capturing on lo needs root, or CAP_NET_RAW and CAP_NET_ADMIN: skipped"),
          .enabled(if: hasTrafficTools, "needs python3 and openssl to make real traffic: skipped"))
    func monitorReportsLiveFlowsAndStopsOnSIGINT() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-monitor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenarioPath = dir.appendingPathComponent("scenario.yaml").path
        try Self.scenario.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let outPath = dir.appendingPathComponent("flows.jsonl").path
        let errPath = dir.appendingPathComponent("stderr.txt").path
        FileManager.default.createFile(atPath: errPath, contents: nil)

        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: CLI.binary)
        monitor.arguments = ["monitor", "--interface", "lo", "--filter", "host 127.0.0.2", "--scenario", scenarioPath,
                             "--format", "jsonl", "--output", outPath, "--idle-timeout", "1", "--duration", "60",
                             "--buffer-size", "8"]
        monitor.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        monitor.standardOutput = FileHandle.nullDevice
        try monitor.run()
        defer { if monitor.isRunning { monitor.terminate() } }

        // Wait for the capture to be up ("listening on lo …" on stderr).
        let started = Date()
        func stderrText() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        while !stderrText().contains("listening on lo") && monitor.isRunning && Date().timeIntervalSince(started) < 20 {
            usleep(20_000)
        }
        try #require(stderrText().contains("listening on lo"), "monitor did not start: \(stderrText())")

        let traffic = Process()
        traffic.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        traffic.arguments = ["python3", CLI.packageRoot.appendingPathComponent("scripts/loopback-traffic.py").path,
                             "127.0.0.2", "127.0.0.3", dir.path]
        let trafficOut = Pipe()
        traffic.standardOutput = trafficOut
        traffic.standardError = trafficOut
        try traffic.run()
        let trafficLog = String(decoding: trafficOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        traffic.waitUntilExit()
        try #require(traffic.terminationStatus == 0, "traffic generator failed: \(trafficLog)")

        // Streaming: with a 1 s idle timeout (and linger), flows are written while the
        // monitor still runs, before any signal.
        var streamed: [String] = []
        let waitStart = Date()
        while Date().timeIntervalSince(waitStart) < 10 {
            streamed = ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if streamed.count >= 3 { break }
            usleep(100_000)
        }
        #expect(streamed.count >= 3, "three flows written before SIGINT, got \(streamed.count)")
        #expect(monitor.isRunning)

        monitor.interrupt()
        let stopStart = Date()
        while monitor.isRunning && Date().timeIntervalSince(stopStart) < 10 { usleep(20_000) }
        #expect(!monitor.isRunning, "SIGINT must end the monitor promptly")
        monitor.waitUntilExit()
        #expect(monitor.terminationStatus == 0, "no --fail-on: exit 0; stderr: \(stderrText())")

        let lines = try String(contentsOfFile: outPath, encoding: .utf8).split(separator: "\n").compactMap { CLI.json(String($0)) }
        let flows = lines.filter { $0["type"] as? String == "flow" }
        let summary = try #require(lines.last, "no summary line")
        #expect(summary["type"] as? String == "summary")
        let input = try #require((summary["inputs"] as? [[String: Any]])?.first)
        #expect(input["kind"] as? String == "interface")
        #expect(input["name"] as? String == "lo")
        #expect(input["dropped"] as? Int == 0)

        func flow(port: Int) -> [String: Any]? {
            flows.first { (($0["server"] as? [String: Any])?["port"] as? Int) == port }
        }
        func findings(_ f: [String: Any]) -> Set<String> {
            Set(((f["findings"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String })
        }
        func encryption(_ f: [String: Any]) -> [String: Any] { f["encryption"] as? [String: Any] ?? [:] }
        func rule(_ f: [String: Any]) -> String? { (f["rule"] as? [String: Any])?["name"] as? String }

        let tls = try #require(flow(port: 8443), "the TLS flow: \(flows)")
        #expect(encryption(tls)["state"] as? String == "encrypted")
        #expect(encryption(tls)["protocol"] as? String == "tls")
        #expect(encryption(tls)["sni"] as? String == "monitor.test")
        #expect(tls["segment"] as? String == "egress")
        #expect((tls["client"] as? [String: Any])?["node"] as? String == "edge-1")
        #expect(rule(tls) == "tls")
        #expect(findings(tls).isEmpty)

        let http = try #require(flow(port: 8080), "the HTTP flow: \(flows)")
        #expect(encryption(http)["state"] as? String == "cleartext")
        #expect(http["application"] as? String == "http")
        #expect(rule(http) == nil)
        #expect(findings(http) == ["unencrypted-egress", "unfiltered-egress"])

        let dns = try #require(flow(port: 53), "the DNS flow: \(flows)")
        #expect(dns["transport"] as? String == "udp")
        #expect(encryption(dns)["state"] as? String == "cleartext")
        #expect(dns["application"] as? String == "dns")
        #expect(rule(dns) == "dns")
        #expect(findings(dns).isEmpty, "cleartext DNS is accepted by its rule")

        let s = try #require(summary["summary"] as? [String: Any])
        #expect(s["flows"] as? Int == flows.count)
        #expect((s["findings"] as? [String: Any])?["high"] as? Int == 1)
        #expect((s["findings"] as? [String: Any])?["medium"] as? Int == 1)
    }
}
