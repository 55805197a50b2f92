import Foundation
import Testing
@testable import DemarcCore

/// `simulate --flow` and the simulation's matching pair agree with `replay` on every flow
/// of every bundled capture and of the nDPI corpus, under the bundled scenarios and under
/// random ones: segment, party, path, rule, and the filter and encryption findings.
@Suite(.serialized) struct SimulationAgreementTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = root.deletingLastPathComponent().appendingPathComponent("shared/corpus/ndpi/pcap")
    /// The codes whose presence depends on the filters and on encryption alone.
    static let judged: Set<String> = ["denied-traffic-observed", "unfiltered-ingress", "unfiltered-egress", "unfiltered-transit",
                                      "unfiltered-external", "unencrypted-internal", "unencrypted-egress", "unencrypted-ingress",
                                      "unencrypted-transit", "unencrypted-external", "unverified-encryption"]

    struct Tally { var flows = 0; var linkByFrame = 0; var otherTransport = 0 }

    struct Flow {
        var client: String, server: String, transport: String, port: Int?
        var state: String, segment: String, responsible: String
        var path: [String: String]?, rule: [String: String]?, findings: Set<String>
    }

    /// The flows replay reports for one capture under one scenario.
    static func replay(_ capture: String, _ scenario: Scenario) throws -> [Flow] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agree-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var o = RunOptions()
        o.scenario = scenario
        o.format = .jsonl
        o.outputPath = out
        o.asOfDay = 0
        o.workers = 1
        _ = try Replay.run(captures: [capture], options: o, warn: { _ in })
        let text = try String(contentsOfFile: out, encoding: .utf8)
        var flows: [Flow] = []
        for line in text.split(separator: "\n") {
            let j = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard j["type"] as? String == "flow" else { continue }
            let c = j["client"] as! [String: Any], s = j["server"] as! [String: Any]
            let rule = (j["rule"] as? [String: Any]).map { r in r.mapValues { "\($0)" } }
            let findings = Set((j["findings"] as! [[String: Any]]).compactMap { f -> String? in
                let code = f["code"] as! String
                return judged.contains(code) ? "\(code)|\(f["party"] as! String)" : nil
            })
            flows.append(Flow(client: c["ip"] as! String, server: s["ip"] as! String, transport: j["transport"] as! String,
                              port: s["port"] as? Int, state: (j["encryption"] as! [String: Any])["state"] as! String,
                              segment: j["segment"] as! String, responsible: j["responsible"] as! String,
                              path: j["path"] as? [String: String], rule: rule, findings: findings))
        }
        return flows
    }

    /// Checks every flow of the capture under the scenario.
    static func agree(_ capture: String, _ scenario: Scenario, _ sim: Simulation, _ tally: inout Tally) throws {
        for f in try replay(capture, scenario) {
            let service = f.port.map { "\(f.transport)/\($0)" } ?? f.transport
            guard FlowVerdict.parseService(service) != nil else { tally.otherTransport += 1; continue }
            let v = try FlowVerdict.verify(scenario, from: f.client, to: f.server, service: service, asOfDay: 0)
            if f.segment == "link" && v.segment != .link { tally.linkByFrame += 1; continue }
            tally.flows += 1
            let what = "\(capture) under \(scenario.name): \(f.client) → \(f.server) \(service)"
            #expect(v.segment.rawValue == f.segment, "\(what)")
            #expect(v.responsible.rawValue == f.responsible, "\(what)")
            #expect(v.path.map { ["enters": $0.enters, "leaves": $0.leaves] } == f.path, "\(what)")
            #expect(v.rule?.name == f.rule?["name"] && v.rule?.action.rawValue == f.rule?["action"]
                    && v.rule?.responsible?.rawValue == f.rule?["responsible"], "\(what)")
            let mine = f.state == "cleartext" ? v.cleartext : (f.state == "encrypted" ? v.encrypted : v.unknown)
            #expect(Set(mine.filter { judged.contains($0.code) }.map { "\($0.code)|\($0.party.rawValue)" }) == f.findings, "\(what)")
            guard v.segment != .link else { continue }
            // The pair of the flow's places says the same for the flow's service.
            guard let a = sim.place(of: v.client), let b = sim.place(of: v.server), let pair = sim.pair(from: a, to: b) else {
                Issue.record("\(what): no pair in the simulation"); continue
            }
            #expect(pair.outcome.segment == v.segment, "\(what)")
            let name = f.transport
            let svc = pair.outcome.services.first { s in
                guard s.transport == name else { return false }
                guard let ports = s.ports, let port = f.port else { return true }
                let bounds = ports.split(separator: "-").compactMap { Int($0) }
                return port >= bounds[0] && port <= bounds.last!
            }
            guard let svc else { Issue.record("\(what): the pair lists no service \(service)"); continue }
            #expect(svc.rule?.name == f.rule?["name"], "\(what): pair decides by \(svc.rule?.name ?? "default")")
            #expect((svc.responsible ?? pair.outcome.responsible).rawValue == f.responsible, "\(what)")
            let decision = f.rule?["action"] ?? scenario.filters[v.segment].map { $0.defaultAction.rawValue } ?? "unfiltered"
            #expect(svc.decision == decision, "\(what)")
        }
    }

    /// A random scenario over the capture's own addresses: nodes, zones with and without
    /// `via`, filters on every segment with rules naming zones, nodes, CIDRs and ports.
    static func randomScenario(_ flows: [Flow], seed: UInt64) throws -> Scenario {
        var rng = SeededGenerator(seed: seed)
        let v4 = Array(Set(flows.flatMap { [$0.client, $0.server] }.filter { IPAddress($0)?.isV4 == true
            && !(IPAddress($0)!.isGroupOrUnspecified) })).sorted()
        let ports = Array(Set(flows.compactMap { f in f.port.map { "\(f.transport)/\($0)" } })).sorted()
        var nodes: [String] = [], zones: [String] = [], names: [String] = [], used = Set<String>()
        for (i, a) in v4.shuffled(using: &rng).prefix(3).enumerated() {
            nodes.append("  n\(i): {role: \(i == 0 ? "gateway" : "edge"), addresses: [\(a)]}")
            names.append("n\(i)")
        }
        var cidrs: [String] = []
        for a in v4.shuffled(using: &rng).prefix(6) {
            let o = a.split(separator: ".")
            let c = Bool.random(using: &rng) ? "\(o[0]).\(o[1]).\(o[2]).0/24" : "\(o[0]).\(o[1]).0.0/16"
            if used.insert(c).inserted { cidrs.append(c) }
        }
        for (i, c) in cidrs.enumerated() {
            let owner = ["customer", "provider", "external"].randomElement(using: &rng)!
            var extra = Bool.random(using: &rng) && !nodes.isEmpty ? ", via: n\(Int.random(in: 0..<nodes.count, using: &rng))" : ""
            if Int.random(in: 0..<4, using: &rng) == 0 { extra += ", sensitive: true" }
            zones.append("  z\(i): {owner: \(owner), cidrs: [\(c)]\(extra)}")
            names.append("z\(i)")
        }
        let via = !nodes.isEmpty && Bool.random(using: &rng) ? ", via: n0" : ""
        zones.append("  world: {owner: external, cidrs: [0.0.0.0/0]\(via)}")
        names.append("world")
        func endpoint() -> String {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return "any"
            case 1: return names.randomElement(using: &rng)!
            case 2: return v4.randomElement(using: &rng) ?? "any"
            default: return cidrs.randomElement(using: &rng) ?? "unknown"
            }
        }
        var text = "scenario: random-\(seed)\nnodes:\n" + nodes.joined(separator: "\n") + "\nzones:\n" + zones.joined(separator: "\n")
        text += "\nencryption: {egress: \(["required", "optional"].randomElement(using: &rng)!), ingress: required, external: \(["required", "optional"].randomElement(using: &rng)!)}\n"
        for (i, seg) in ["egress", "ingress", "transit", "external"].enumerated() where i == 0 || Int.random(in: 0..<4, using: &rng) > 0 {
            text += (i == 0 ? "filters:\n" : "") + "  \(seg):\n    default: \(["deny", "deny", "allow"].randomElement(using: &rng)!)\n    rules:\n"
            for r in 0..<Int.random(in: 1...8, using: &rng) {
                let action = Int.random(in: 0..<3, using: &rng) == 0 ? "deny" : "allow"
                let port = Int.random(in: 0..<3, using: &rng) == 0 ? "any" : (ports.randomElement(using: &rng) ?? "tcp/443")
                let wide = ["tcp/1-1024", "udp", "icmp", "tcp/400-9000"].randomElement(using: &rng)!
                text += "      - {name: r\(r), action: \(action), from: [\(endpoint())], to: [\(endpoint())], ports: [\(port), \(wide)]"
                if action == "allow" && Bool.random(using: &rng) { text += ", cleartext: accepted" }
                if Int.random(in: 0..<4, using: &rng) == 0 { text += ", responsible: \(["provider", "shared"].randomElement(using: &rng)!)" }
                text += "}\n"
            }
        }
        return try ScenarioLoader.parse(text, source: "random-\(seed).yaml")
    }

    static func bundled() throws -> [(capture: String, scenario: Scenario)] {
        let captures = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("captures").path)
            .filter { $0.hasSuffix(".pcap") }.sorted()
        return try captures.map { c in
            let base = String(c.dropLast(5))
            let name = base == "managed-branch-wan" ? "managed-branch" : base
            let path = root.appendingPathComponent("scenarios/\(name).yaml").path
            return (root.appendingPathComponent("captures/\(c)").path, try ScenarioLoader.load(path: path))
        }
    }

    @Test func bundledCapturesAgree() throws {
        var tally = Tally()
        for (capture, scenario) in try Self.bundled() {
            try Self.agree(capture, scenario, Simulation.run(scenario), &tally)
            let flows = try Self.replay(capture, scenario)
            for seed in 1...3 as ClosedRange<UInt64> {
                let random = try Self.randomScenario(flows, seed: seed &* 7919 &+ UInt64(capture.count))
                try Self.agree(capture, random, Simulation.run(random), &tally)
            }
        }
        print("bundled captures: \(tally.flows) flows agree; \(tally.linkByFrame) skipped as link by their link-layer destination, \(tally.otherTransport) on transports --flow does not take")
        #expect(tally.flows > 100)
    }

    @Test func corpusAgrees() throws {
        guard FileManager.default.fileExists(atPath: Self.corpus.path) else {
            print("skipped: \(Self.corpus.path) is absent (../shared holds the nDPI corpus)")
            return
        }
        let scenarios = try Self.bundled().map(\.scenario)
        let sims = scenarios.map(Simulation.run)
        var tally = Tally()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { $0.hasSuffix("cap") || $0.hasSuffix("pcapng") }.sorted()
        for (i, file) in files.enumerated() {
            let path = Self.corpus.appendingPathComponent(file).path
            let k = i % scenarios.count
            guard let flows = try? Self.replay(path, scenarios[k]) else { continue }   // unreadable captures are replay's own tests
            try Self.agree(path, scenarios[k], sims[k], &tally)
            let random = try Self.randomScenario(flows, seed: UInt64(i + 1))
            try Self.agree(path, random, Simulation.run(random), &tally)
        }
        print("nDPI corpus: \(files.count) captures, \(tally.flows) flows agree; \(tally.linkByFrame) skipped as link by their link-layer destination, \(tally.otherTransport) on transports --flow does not take")
        #expect(tally.flows > 1000)
    }
}

/// SplitMix64: a reproducible generator for the random scenarios.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
