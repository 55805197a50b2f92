import Foundation
import Testing

/// `--format cbom` and the report's crypto fields over a bundled deployment (the CBOM's
/// CycloneDX 1.6 validity is checked by scripts/cbom-check.py, `make cbom-test`).
@Suite struct CryptoCLITests {
    static func replay(_ format: String) throws -> CLI.Result {
        try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                     "--format", format, "--no-progress"])
    }

    @Test func cbomListsProtocolsAlgorithmsCertificatesAndServices() throws {
        let r = try Self.replay("cbom")
        #expect(r.status == 1, "findings, as the deployment has: \(r.stderr)")
        let doc = try #require(CLI.json(r.stdout))
        #expect(doc["bomFormat"] as? String == "CycloneDX" && doc["specVersion"] as? String == "1.6")
        let components = try #require(doc["components"] as? [[String: Any]])
        func crypto(_ c: [String: Any]) -> [String: Any] { c["cryptoProperties"] as? [String: Any] ?? [:] }
        func algorithm(_ name: String) -> [String: Any]? {
            components.first { $0["name"] as? String == name }.map { crypto($0)["algorithmProperties"] as? [String: Any] ?? [:] }
        }
        #expect(algorithm("sntrup761x25519-sha512")?["primitive"] as? String == "kem")
        #expect(algorithm("x25519")?["nistQuantumSecurityLevel"] as? Int == 0)
        #expect(algorithm("AES-256-GCM")?["nistQuantumSecurityLevel"] as? Int == 5)
        let tls12 = components.first { $0["bom-ref"] as? String == "protocol:TLS 1.2" }
        let suites = (tls12.map(crypto)?["protocolProperties"] as? [String: Any])?["cipherSuites"] as? [[String: Any]]
        #expect(suites?.contains { $0["name"] as? String == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" } == true)
        #expect(components.contains { crypto($0)["assetType"] as? String == "certificate" })
        let services = try #require(doc["services"] as? [[String: Any]])
        #expect(services.contains { $0["name"] as? String == "ssh tcp/22" && $0["trustZone"] as? String == "internal" })
    }

    /// The bill of materials is of a whole replay: monitor and diff refuse it.
    @Test func cbomIsForReplayOnly() throws {
        let r = try CLI.run(["monitor", "--interface", "lo", "--format", "cbom"])
        #expect(r.status == 2 && r.stderr.contains("cbom is for replay"))
    }

    /// The json report's optional fields on the same replay.
    @Test func jsonCarriesKeyExchangeCipherAndCertificateKey() throws {
        let r = try Self.replay("jsonl")
        let flows = r.stdout.split(separator: "\n").compactMap { CLI.json(String($0)) }.filter { $0["type"] as? String == "flow" }
        let encs = flows.compactMap { $0["encryption"] as? [String: Any] }
        #expect(encs.contains { $0["key_exchange"] as? String == "sntrup761x25519-sha512" && $0["post_quantum"] as? Bool == true })
        let tls12 = try #require(encs.first { $0["version"] as? String == "TLS 1.2" })
        let cert = try #require(tls12["certificate"] as? [String: Any])
        #expect((cert["key"] as? [String: Any])?["type"] as? String == "EC")
        #expect(cert["signature"] as? String == "ecdsa-with-SHA256")
        #expect((tls12["ja4"] as? String)?.hasPrefix("t12d") == true)
    }
}
