import Foundation
import Testing

/// `monitor --metrics`: Prometheus' /metrics scraped during a live capture on lo while
/// the test makes traffic, checked against the run's own summary and by `promtool`.
@Suite(.serialized) struct MetricsCLITests {
    /// Addresses of their own (MonitorCLITests captures 127.0.0.2 at the same time): the
    /// services zone and the edge node, per worker count.
    static func scenario(_ services: String, _ edge: String) -> String {
        MonitorCLITests.scenario.replacingOccurrences(of: "127.0.0.2", with: services)
            .replacingOccurrences(of: "127.0.0.3", with: edge)
    }

    /// A bad --metrics address is refused before anything is captured (no privilege needed).
    @Test func badAddressesExit2() throws {
        let (busy, inUse) = Self.loopbackSocket(listening: true)
        defer { close(busy) }
        try #require(busy >= 0)
        for (address, says) in [("nonsense", "HOST:PORT"), ("127.0.0.1:70000", "HOST:PORT"), ("127.0.0.1:\(inUse)", "in use"),
                                ("192.0.2.1:9464", "no such address")] {
            let r = try CLI.run(["monitor", "--interface", "lo", "--duration", "1", "--metrics", address])
            #expect(r.status == 2, "\(address): \(r.stderr)")
            #expect(r.stderr.contains("--metrics") && r.stderr.contains(says), "\(address): \(r.stderr)")
        }
    }

    static var hasPromtool: Bool {
        ((try? CLI.output(of: "/usr/bin/env", ["sh", "-c", "command -v promtool"])) ?? "").isEmpty == false
    }

    /// deploy/prometheus: the alert rules and the scrape configuration are valid, and the
    /// rules' unit tests (series named and labelled as demarc serves them) pass.
    @Test(.enabled(if: hasPromtool, "promtool not installed (Debian's prometheus package): skipped"))
    func alertRulesCheckAndFire() throws {
        for args in ["check rules deploy/prometheus/alerts.yml", "check config deploy/prometheus/prometheus.yml",
                     "test rules deploy/prometheus/alerts-test.yml"] {
            let out = try CLI.output(of: "/usr/bin/env", ["sh", "-c", "promtool \(args) 2>&1; echo \"exit $?\""])
            #expect(out.hasSuffix("exit 0\n"), "promtool \(args): \(out)")
        }
    }

    /// A TCP socket bound to a free port on 127.0.0.1 (listening, or closed again at
    /// once by the caller to hand the port over); -1 where binding failed.
    static func loopbackSocket(listening: Bool) -> (fd: Int32, port: Int) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(s, sa, len) == 0 && (!listening || listen(s, 1) == 0) && getsockname(s, sa, &len) == 0
            }
        }
        if !ok { close(s); return (-1, 0) }
        return (s, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// A free TCP port on 127.0.0.1.
    static func freePort() -> Int {
        let (s, port) = loopbackSocket(listening: false)
        close(s)
        return port
    }

    /// The samples of a Prometheus text page: name{labels} → value.
    static func samples(_ text: String) -> [(name: String, labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return (String(series), [:], value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { labels[String(kv[0])] = String(kv[1].dropFirst().dropLast()) }
            }
            return (String(series[..<brace]), labels, value)
        }
    }

    static func sum(_ page: String, _ name: String, where match: (([String: String]) -> Bool) = { _ in true }) -> Double {
        samples(page).filter { $0.name == name && match($0.labels) }.reduce(0) { $0 + $1.value }
    }

    static func scrape(_ port: Int) throws -> String {
        try CLI.output(of: "/usr/bin/env", ["python3", "-c",
            "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:\(port)/metrics', timeout=5).read().decode())"])
    }

    @Test(.enabled(if: MonitorCLITests.canCapture, "capturing on lo needs root, or CAP_NET_RAW and CAP_NET_ADMIN: skipped"),
          .enabled(if: MonitorCLITests.hasTrafficTools, "needs python3 and openssl to make real traffic: skipped"),
          arguments: [1, 2])
    func scrapedDuringALiveCapture(workers: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenarioPath = dir.appendingPathComponent("scenario.yaml").path
        let (services, edge) = ("127.0.\(10 + workers).2", "127.0.\(10 + workers).3")
        try Self.scenario(services, edge).write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let outPath = dir.appendingPathComponent("flows.jsonl").path
        let errPath = dir.appendingPathComponent("stderr.txt").path
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let port = Self.freePort()

        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: CLI.binary)
        // The scrapes cross lo too: the filter keeps them out of the flows.
        monitor.arguments = ["monitor", "--interface", "lo", "--filter", "host \(services) and not port \(port)",
                             "--scenario", scenarioPath, "--format", "jsonl", "--output", outPath, "--idle-timeout", "5",
                             "--duration", "90", "--buffer-size", "8", "--metrics", "127.0.0.1:\(port)", "--workers", "\(workers)"]
        monitor.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        monitor.standardOutput = FileHandle.nullDevice
        try monitor.run()
        defer { if monitor.isRunning { monitor.terminate() } }
        func stderrText() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        func flowLines() -> Int {
            ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        func waitFor(_ what: String, _ seconds: Double = 20, _ done: () -> Bool) throws {
            let start = Date()
            while !done() && Date().timeIntervalSince(start) < seconds { usleep(50_000) }
            try #require(done(), "\(what); stderr: \(stderrText())")
        }
        try waitFor("monitor did not start") { stderrText().contains("listening on lo") }
        #expect(stderrText().contains("serving metrics on http://127.0.0.1:\(port)/metrics"))

        // Flows that end, with findings: TLS, HTTP and DNS (MonitorCLITests' generator).
        let traffic = try CLI.output(of: "/usr/bin/env", ["python3", CLI.packageRoot.appendingPathComponent("scripts/loopback-traffic.py").path,
                                                          services, edge, dir.path])
        _ = traffic
        try waitFor("the three flows did not end") { flowLines() >= 3 }

        // A connection that stays open: 3 KB, then 3 KB more once asked.
        let open = Process()
        open.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        open.arguments = ["python3", "-u", "-c", """
            import socket, sys
            srv = socket.socket(); srv.bind(('\(services)', 47911)); srv.listen()
            c = socket.socket(); c.bind(('\(edge)', 0)); c.connect(('\(services)', 47911)); a, _ = srv.accept()
            def send():
                for _ in range(3):
                    c.sendall(b'x' * 1000)
                    got = 0
                    while got < 1000: got += len(a.recv(1000 - got))
            send(); print('sent', flush=True)
            sys.stdin.readline(); send(); print('sent', flush=True)
            sys.stdin.readline(); c.close(); a.close(); print('closed', flush=True)
            """]
        let toOpen = Pipe(), fromOpen = Pipe()
        open.standardInput = toOpen
        open.standardOutput = fromOpen
        try open.run()
        defer { if open.isRunning { open.terminate() } }
        func awaitLine(_ want: String) throws {
            var line = ""
            while !line.hasSuffix("\n") {
                let d = fromOpen.fileHandleForReading.readData(ofLength: 1)
                if d.isEmpty { break }
                line += String(decoding: d, as: UTF8.self)
            }
            try #require(line == want + "\n", "the open connection said \(line)")
        }
        try awaitLine("sent")
        usleep(1_300_000)   // growth is counted about every second
        let first = try Self.scrape(port)
        #expect(Self.sum(first, "demarc_open_flows") >= 1, "\(first)")
        let endedBefore = Self.sum(first, "demarc_flows_total")
        let openBytes1 = Self.sum(first, "demarc_bytes_total") { $0["application"] == "none" }

        toOpen.fileHandleForWriting.write(Data("more\n".utf8))
        try awaitLine("sent")
        usleep(1_300_000)
        let second = try Self.scrape(port)
        // The open flow's bytes moved, though it has not ended.
        let openBytes2 = Self.sum(second, "demarc_bytes_total") { $0["application"] == "none" }
        #expect(openBytes2 >= openBytes1 + 3000, "open flow's bytes: \(openBytes1) then \(openBytes2)")
        #expect(Self.sum(second, "demarc_flows_total") == endedBefore, "no flow ended between the scrapes")
        #expect(Self.sum(second, "demarc_open_flows") >= 1)

        toOpen.fileHandleForWriting.write(Data("close\n".utf8))
        try awaitLine("closed")
        open.waitUntilExit()
        try waitFor("the open flow did not end after its FIN") { flowLines() >= 4 }
        usleep(1_300_000)
        let last = try Self.scrape(port)
        let pagePath = dir.appendingPathComponent("metrics.txt").path
        try last.write(toFile: pagePath, atomically: true, encoding: .utf8)

        monitor.interrupt()
        monitor.waitUntilExit()
        #expect(monitor.terminationStatus == 0, "\(stderrText())")
        let lines = try String(contentsOfFile: outPath, encoding: .utf8).split(separator: "\n").compactMap { CLI.json(String($0)) }
        let summary = try #require(lines.last?["summary"] as? [String: Any])

        // The last scrape equals the run's own summary.
        #expect(Self.sum(last, "demarc_open_flows") == 0)
        #expect(Int(Self.sum(last, "demarc_flows_total")) == summary["flows"] as? Int)
        #expect(Int(Self.sum(last, "demarc_packets_total")) == summary["packets"] as? Int)
        #expect(Int(Self.sum(last, "demarc_bytes_total")) == summary["bytes"] as? Int)
        for (key, label) in [("segments", "segment"), ("parties", "party")] {
            for (name, counts) in (summary[key] as? [String: [String: Int]]) ?? [:] {
                #expect(Int(Self.sum(last, "demarc_packets_total") { $0[label] == name }) == counts["packets"], "\(label) \(name)")
                #expect(Int(Self.sum(last, "demarc_bytes_total") { $0[label] == name }) == counts["bytes"], "\(label) \(name)")
                #expect(Int(Self.sum(last, "demarc_flows_total") { $0[label] == name }) == counts["flows"], "\(label) \(name)")
            }
        }
        // Each rule's flows, as the summary counts them.
        let rules = (summary["rules"] as? [[String: Any]]) ?? []
        #expect(rules.count == 2)
        for rule in rules {
            #expect(Int(Self.sum(last, "demarc_rule_flows_total") { $0["segment"] == rule["segment"] as? String && $0["rule"] == rule["name"] as? String })
                    == rule["flows"] as? Int, "rule \(rule["name"] ?? "")")
        }
        for (severity, n) in (summary["findings"] as? [String: Int]) ?? [:] {
            #expect(Int(Self.sum(last, "demarc_findings_total") { $0["severity"] == severity }) == n, "\(severity)")
        }
        let flows = lines.filter { $0["type"] as? String == "flow" }
        let cleartextEgress = flows.filter { (($0["findings"] as? [[String: Any]]) ?? []).contains { $0["code"] as? String == "unencrypted-egress" } }
        #expect(Int(Self.sum(last, "demarc_findings_total") { $0["code"] == "unencrypted-egress" && $0["party"] == "customer" })
                == cleartextEgress.count)
        #expect(cleartextEgress.count >= 1)
        #expect(Self.sum(last, "demarc_dropped_packets_total") == 0)
        // Bounded labels only: no address or port of the traffic anywhere in the page.
        #expect(!last.contains("127.0.") && !last.contains("47911"))

        // Prometheus' own linter on the page (CI installs Debian's prometheus for it).
        if Self.hasPromtool {
            let check = try CLI.output(of: "/usr/bin/env", ["sh", "-c", "promtool check metrics < '\(pagePath)' 2>&1; echo \"exit $?\""])
            #expect(check == "exit 0\n", "promtool check metrics: \(check)")
        } else {
            print("promtool not installed (Debian's prometheus package): the format check is skipped")
        }
    }
}
