import Foundation
import Testing

/// `summary.rules` and `summary.unused_rules` (REPORT.md): how each filter rule was used,
/// checked against the report's own flows and the scenario file's lines.
@Suite struct RuleUsageCLITests {
    static let scenario = "scenarios/overlay-network.yaml"
    static let capture = "captures/overlay-network.pcap"

    static func replay(_ format: String, scenario: String = scenario, workers: Int? = nil) throws -> CLI.Result {
        let r = try CLI.run(["replay", capture, "--scenario", scenario, "--format", format, "--as-of", Deployments.asOf,
                             "--no-progress"] + (workers.map { ["--workers", String($0)] } ?? []))
        #expect((0...1).contains(r.status), "\(r.stderr)")
        return r
    }

    /// The line of the rule entry `name` in the scenario file (1-based).
    static func line(of name: String, in path: String) throws -> Int {
        let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent(path), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.contains("{name: \(name),") }) + 1
    }

    @Test func rulesCountTheFlowsTheyDecided() throws {
        let doc = try #require(CLI.json(try Self.replay("json").stdout))
        let summary = try #require(doc["summary"] as? [String: Any])
        let rules = try #require(summary["rules"] as? [[String: Any]])
        let flows = try #require(doc["flows"] as? [[String: Any]])
        // File order: the egress rules, then the ingress rule.
        #expect(rules.map { $0["name"] as? String } == ["app-https", "dns", "no-smb", "edges-only"])
        #expect(rules.map { $0["segment"] as? String } == ["egress", "egress", "egress", "ingress"])
        var unused: [String] = []
        for rule in rules {
            let name = try #require(rule["name"] as? String)
            #expect(rule["line"] as? Int == (try Self.line(of: name, in: Self.scenario)), "\(name)")
            let decided = flows.filter { f in
                let m = f["rule"] as? [String: Any]
                return m?["name"] as? String == name && m?["segment"] as? String == rule["segment"] as? String
            }
            #expect(rule["flows"] as? Int == decided.count, "\(name)")
            #expect(rule["bytes"] as? Int == decided.reduce(0) { $0 + ((($1["bytes"] as? [String: Int])?.values.reduce(0, +)) ?? 0) }, "\(name)")
            let services = try #require(rule["services"] as? [String])
            if decided.isEmpty {
                unused.append(name)
                #expect(rule["first_seen"] is NSNull && rule["last_seen"] is NSNull && services.isEmpty, "\(name)")
            } else {
                let seen = Set(decided.map { f in
                    let t = f["transport"] as! String
                    return ((f["server"] as? [String: Any])?["port"] as? Int).map { "\(t)/\($0)" } ?? t
                })
                #expect(Set(services) == seen || (services.count == 5 && Set(services).isSubset(of: seen)), "\(name)")
                // The times are those of the rule's first and last flows.
                let firsts = decided.compactMap { $0["first_seen"] as? String }, lasts = decided.compactMap { $0["last_seen"] as? String }
                #expect(firsts.contains(try #require(rule["first_seen"] as? String)), "\(name)")
                #expect(lasts.contains(try #require(rule["last_seen"] as? String)), "\(name)")
            }
        }
        #expect(rules.contains { ($0["flows"] as? Int ?? 0) > 0 })
        let unusedListed = try #require(summary["unused_rules"] as? [[String: Any]])
        #expect(unusedListed.map { $0["name"] as? String } == unused)
        #expect(unusedListed.allSatisfy { u in rules.contains { $0["name"] as? String == u["name"] as? String && $0["line"] as? Int == u["line"] as? Int } })
    }

    @Test(.enabled(if: CLI.hasSchemaValidator, "needs python3 jsonschema"))
    func jsonAndJSONLValidate() throws {
        #expect(try CLI.schemaProblem(try Self.replay("json").stdout) == nil)
        // JSON Lines: the flow lines and the summary line, reassembled into one document.
        let lines = try Self.replay("jsonl").stdout.split(separator: "\n").compactMap { CLI.json(String($0)) }
        var doc = try #require(lines.last)
        #expect(doc["type"] as? String == "summary")
        #expect((doc["summary"] as? [String: Any])?["rules"] is [Any])
        doc["type"] = nil
        doc["flows"] = lines.dropLast().map { l -> [String: Any] in var f = l; f["type"] = nil; return f }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: doc), as: UTF8.self)
        #expect(try CLI.schemaProblem(text) == nil)
    }

    /// With one worker or two, the rules' use is the same.
    @Test func workersAgree() throws {
        let one = try #require(CLI.json(try Self.replay("json", workers: 1).stdout)?["summary"] as? [String: Any])
        let two = try #require(CLI.json(try Self.replay("json", workers: 2).stdout)?["summary"] as? [String: Any])
        #expect(NSDictionary(dictionary: one).isEqual(to: two))
    }

    /// An allow rule whose ports admit a range, but whose flows all used one service, is
    /// named as a candidate for narrowing in the human formats; a rule that matches
    /// nothing is listed with its line.
    @Test func narrowingCandidateAndUnusedRule() throws {
        let base = try String(contentsOf: CLI.packageRoot.appendingPathComponent(Self.scenario), encoding: .utf8)
        let json = try #require(CLI.json(try Self.replay("json").stdout))
        // The service edges-only saw, and a range around it that the wide rule admits.
        let seen = try #require(((json["summary"] as? [String: Any])?["rules"] as? [[String: Any]])?
            .first { $0["name"] as? String == "edges-only" }?["services"] as? [String])
        try #require(seen.count == 1)
        let (proto, port) = (seen[0].split(separator: "/")[0], Int(seen[0].split(separator: "/")[1])!)
        let wide = base.replacingOccurrences(of: "{name: edges-only, from: [edge-range], to: [gw-1], ports: [tcp/8443, udp/8443]}",
                                             with: "{name: wide, from: [edge-range], to: [gw-1], ports: [\(proto)/\(port - 1)-\(port + 1)]}\n"
                                                 + "      - {name: never, from: [edge-range], to: [gw-1], ports: [tcp/1]}")
        #expect(wide != base)
        let path = try CLI.temp("wide.yaml", text: wide)
        let neverLine = try #require(wide.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("{name: never,") }) + 1
        for format in ["table", "markdown", "html"] {
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = "1"
            let r = try CLI.run(["replay", Self.capture, "--scenario", path, "--format", format, "--as-of", Deployments.asOf,
                                 "--no-progress"], environment: env)
            #expect(r.stdout.contains("Rules"), "\(format)")
            #expect(r.stdout.contains("narrow: ingress wide (line"), "\(format)")
            #expect(r.stdout.contains("every flow used \(seen[0])"), "\(format)")
            #expect(r.stdout.contains("unused: ingress never (line \(neverLine))"), "\(format)")
            // A rule admitting exactly one service is never a candidate.
            #expect(!r.stdout.contains("narrow: egress no-smb"), "\(format)")
        }
    }
}
