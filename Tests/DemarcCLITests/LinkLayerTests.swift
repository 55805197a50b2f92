import Foundation
import Testing

/// Link layers a provider's network carries, decoded to the packet inside: captures
/// built by scripts/link-layers.py (scapy; the kernels here have no MACsec or MPLS
/// devices to record from) and tcpdump's own test captures, read in place.
@Suite struct LinkLayerTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("LinkLayers")
    static let tcpdump = CLI.shared.appendingPathComponent("corpus/malformed")
    static let tcpdumpPresent = FileManager.default.fileExists(atPath: tcpdump.path)

    /// The report of one capture, as JSON.
    static func report(_ path: String) throws -> [String: Any] {
        let r = try CLI.run(["replay", path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// Each flow as `transport client:port > server:port`, and the first input's counters.
    static func flows(_ report: [String: Any]) -> [String] {
        ((report["flows"] as? [[String: Any]]) ?? []).map { f in
            let c = f["client"] as? [String: Any] ?? [:], s = f["server"] as? [String: Any] ?? [:]
            func port(_ e: [String: Any]) -> String { (e["port"] as? Int).map(String.init) ?? "-" }
            return "\(f["transport"] ?? "?") \(c["ip"] ?? "?"):\(port(c)) > \(s["ip"] ?? "?"):\(port(s))"
        }
    }

    static func input(_ report: [String: Any]) -> [String: Any] {
        ((report["inputs"] as? [[String: Any]])?.first) ?? [:]
    }

    /// The DNS query inside each framing, and nothing left undecoded.
    @Test(arguments: ["macsec-integrity", "mpls-ppp", "nsh", "wifi-radiotap", "ipoib", "pktap", "arcnet-linux"])
    func decodesToTheQueryInside(_ name: String) throws {
        let r = try Self.report(Self.dir.appendingPathComponent("\(name).pcap").path)
        #expect(Self.flows(r) == ["udp 10.1.0.1:5000 > 10.1.0.2:53"])
        #expect(Self.input(r)["undecoded"] as? Int == 0)
        let flow = try #require((r["flows"] as? [[String: Any]])?.first)
        #expect(flow["application"] as? String == "dns")
    }

    /// Encrypted at the link layer (MACsec with E set, a protected 802.11 frame): counted,
    /// no flow reported, nothing called undecoded.
    @Test(arguments: ["macsec-encrypted", "wifi-protected"])
    func linkEncryptionIsCounted(_ name: String) throws {
        let r = try Self.report(Self.dir.appendingPathComponent("\(name).pcap").path)
        #expect(Self.flows(r).isEmpty)
        #expect(Self.input(r)["link_encrypted"] as? Int == 1)
        #expect(Self.input(r)["undecoded"] as? Int == 0)
    }

    /// tcpdump's captures of the same link layers: the flows tshark finds in them.
    @Test(.enabled(if: tcpdumpPresent, "needs ../shared/corpus/malformed beside the project: skipped"), arguments: [
        ("ipoib.pcap", "tcp 192.168.56.10:34170 > 192.168.56.24:22"),
        ("nsh.pcap", "udp 10.0.8.3:52229 > 10.13.13.13:8000"),
        ("macsec-integonly.pcap", "icmp 192.168.113.1:- > 192.168.113.2:-"),
        ("mpls-traceroute.pcap", "udp 12.4.4.4:42315 > 12.1.1.1:33435"),
        ("LINKTYPE_PKTAP.pcap", "udp 10.32.4.27:63538 > 10.32.100.15:53"),
        ("LINKTYPE_USER2_PKTAP.pcap", "udp 10.32.4.27:63538 > 10.32.100.15:53"),
        ("ieee802.11_htc.pcap", "udp 0.0.0.0:68 > 255.255.255.255:67"),
        ("arcnet-rfc1201-arp-icmp-http.pcap", "tcp 10.80.131.1:1027 > 146.190.240.163:80"),
        ("arcnet-rfc1051-arp-icmp-http.pcap", "icmp 10.80.131.1:- > 10.80.131.254:-"),
    ])
    func tcpdumpCaptures(_ name: String, _ flow: String) throws {
        let r = try Self.report(Self.tcpdump.appendingPathComponent(name).path)
        #expect(Self.flows(r).contains(flow), "\(Self.flows(r))")
    }

    /// Inside NFLOG's TLVs the payload is read where it lies in the frame (it was once
    /// read at its offset within the TLV, so DNS went unrecognised).
    @Test(.enabled(if: tcpdumpPresent, "needs ../shared/corpus/malformed beside the project: skipped"))
    func nflogPayloadIsInspected() throws {
        let r = try Self.report(Self.tcpdump.appendingPathComponent("nflog.pcap").path)
        let apps = ((r["flows"] as? [[String: Any]]) ?? []).map { $0["application"] as? String ?? "null" }
        #expect(!apps.isEmpty && apps.allSatisfy { $0 == "dns" }, "\(apps)")
    }

    @Test(.enabled(if: tcpdumpPresent, "needs ../shared/corpus/malformed beside the project: skipped"))
    func tcpdumpsEncryptedMACsecIsCounted() throws {
        let r = try Self.report(Self.tcpdump.appendingPathComponent("macsec-encrypted.pcap").path)
        #expect(Self.input(r)["link_encrypted"] as? Int ?? 0 > 0)
        #expect(Self.flows(r).isEmpty)
    }
}
