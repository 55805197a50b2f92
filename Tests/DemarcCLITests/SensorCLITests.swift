import Foundation
import Testing

/// `--sensor NAME` in inputs[] and every flow of every machine format; `--ipfix` refuses
/// what is not HOST:PORT. (Without --sensor the goldens are unchanged: GoldenTests.)
@Suite struct SensorCLITests {
    func replay(_ format: String, _ extra: [String] = []) throws -> [[String: Any]] {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                             "--format", format, "--no-progress", "--as-of", Deployments.asOf] + extra)
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func everyFlowAndInputNamesTheSensor() throws {
        let lines = try replay("jsonl", ["--sensor", "gw-7"])
        let flows = lines.filter { $0["type"] as? String == "flow" }
        #expect(flows.count > 5 && flows.allSatisfy { $0["sensor"] as? String == "gw-7" })
        let inputs = (lines.last?["inputs"] as? [[String: Any]]) ?? []
        #expect(!inputs.isEmpty && inputs.allSatisfy { $0["sensor"] as? String == "gw-7" })
        let ecs = try replay("ecs", ["--sensor", "gw-7"])
        #expect(!ecs.isEmpty && ecs.allSatisfy { ($0["observer"] as? [String: Any])?["name"] as? String == "gw-7" })
        let ocsf = try replay("ocsf", ["--sensor", "gw-7"])
        #expect(!ocsf.isEmpty && ocsf.allSatisfy { ($0["device"] as? [String: Any])?["name"] as? String == "gw-7" })
        let csv = try CLI.run(["replay", "captures/overlay-network.pcap", "--format", "csv", "--no-progress", "--sensor", "gw-7"])
        let rows = csv.stdout.split(separator: "\r\n")
        #expect(rows.first?.hasSuffix(",sensor") == true && rows.dropFirst().allSatisfy { $0.hasSuffix(",gw-7") })
    }

    @Test func withoutSensorNothingNamesOne() throws {
        for format in ["jsonl", "ecs", "ocsf"] {
            let lines = try replay(format)
            #expect(!lines.isEmpty && lines.allSatisfy { $0["sensor"] == nil && $0["observer"] == nil && $0["device"] == nil })
        }
    }

    @Test(arguments: [["--ipfix", "nohostport"], ["--ipfix", "127.0.0.1:0"], ["--ipfix", "127.0.0.1:99999"], ["--sensor", ""]])
    func badGatewayOptionsExit2(_ args: [String]) throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--no-progress"] + args)
        #expect(r.status == 2, "\(args): \(r.stderr)")
    }
}
