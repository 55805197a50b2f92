import Foundation
import Testing

/// Verdicts on flows of nDPI's test captures (read in place from ../shared, skipped on a
/// fresh clone) where the evidence spans several packets or one direction only: what
/// single-exchange fixtures cannot show.
@Suite struct CorpusVerdictTests {
    static let pcaps = CLI.shared.appendingPathComponent("corpus/ndpi/pcap")
    static let present = FileManager.default.fileExists(atPath: pcaps.path)

    struct Expect: CustomTestStringConvertible, Sendable {
        var capture: String
        /// A port of the flow (server or client).
        var port: Int
        var application: String
        var state: String
        var why: String
        var testDescription: String { "\(capture) port \(port): \(why)" }
    }

    static let cases: [Expect] = [
        Expect(capture: "stun_zoom.pcapng", port: 8801, application: "dtls", state: "encrypted",
               why: "ICE: STUN checks, then a DTLS handshake on the same 5-tuple"),
        Expect(capture: "stun_dtls_unidirectional_server.pcap", port: 57567, application: "dtls", state: "encrypted",
               why: "STUN then DTLS, server side only"),
        Expect(capture: "tunnelbear.pcap", port: 51820, application: "wireguard", state: "encrypted",
               why: "WireGuard with a padded handshake, confirmed by the response's receiver index"),
        Expect(capture: "openvpn.pcap", port: 60201, application: "openvpn", state: "encrypted",
               why: "OpenVPN seen from the server side only: reset, then control packets of that session"),
        Expect(capture: "corba.pcap", port: 42717, application: "giop", state: "cleartext", why: "CORBA GIOP"),
        Expect(capture: "someip-tp.pcap", port: 56772, application: "someip", state: "cleartext", why: "SOME/IP-TP"),
        Expect(capture: "tinc.pcap", port: 59244, application: "tinc", state: "encrypted",
               why: "tinc meta connection: ID line, then an encrypted key exchange"),
        Expect(capture: "cassandra.pcap", port: 9042, application: "cassandra", state: "cleartext",
               why: "Cassandra CQL native protocol, OPTIONS and SUPPORTED frames"),
        Expect(capture: "dnp3.pcap", port: 20000, application: "dnp3", state: "cleartext", why: "DNP3 link frames"),
        Expect(capture: "kafka.pcapng", port: 9092, application: "kafka", state: "cleartext", why: "Kafka requests"),
        Expect(capture: "nano.pcapng", port: 7075, application: "nano", state: "cleartext",
               why: "Nano node protocol: signed, random-looking, not encrypted"),
        Expect(capture: "discord.pcap", port: 64837, application: "discord", state: "encrypted",
               why: "Discord voice: IP discovery, then RTP with encrypted payloads"),
    ]

    @Test(.enabled(if: present, "needs ../shared/corpus/ndpi beside the project: skipped"), arguments: cases)
    func verdict(_ e: Expect) throws {
        let r = try CLI.run(["replay", Self.pcaps.appendingPathComponent(e.capture).path, "--format", "jsonl"])
        #expect((0...1).contains(r.status), "\(r.stderr)")
        let flows = r.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["type"] as? String == "flow" else { return nil }
            let ports = [(o["client"] as? [String: Any])?["port"] as? Int, (o["server"] as? [String: Any])?["port"] as? Int]
            return ports.contains(e.port) ? o : nil
        }
        #expect(!flows.isEmpty, "no flow on port \(e.port)")
        let verdicts = flows.map { f -> String in
            let enc = f["encryption"] as? [String: Any]
            return "\(f["application"] as? String ?? "null")/\(enc?["state"] as? String ?? "?")"
        }
        #expect(verdicts.contains("\(e.application)/\(e.state)"), "verdicts on port \(e.port): \(verdicts)")
    }
}
