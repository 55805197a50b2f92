import Foundation
import Testing

/// Verdicts on flows of nDPI's test captures (read in place from ../shared, skipped on a
/// fresh clone) where the evidence spans several packets or one direction only: what
/// single-exchange fixtures cannot show.
@Suite struct CorpusVerdictTests {
    static let pcaps = CLI.shared.appendingPathComponent("corpus/ndpi/pcap")
    static let present = FileManager.default.fileExists(atPath: pcaps.path)
    /// tcpdump's test captures (the malformed corpus also holds well-formed ones).
    static let tcpdumpCaptures = CLI.shared.appendingPathComponent("corpus/malformed")

    struct Expect: CustomTestStringConvertible, Sendable {
        var capture: String
        /// A port of the flow (server or client).
        var port: Int
        var application: String
        var state: String
        var why: String
        /// The server name the flow must report, where the test is about it.
        var sni: String? = nil
        /// The start of the banner the flow must report, where the test is about it.
        var banner: String? = nil
        /// The encryption version the flow must report, where the test is about it.
        var version: String? = nil
        /// Where the capture is: nDPI's captures unless tcpdump's are named.
        var tcpdump = false
        /// For transports without ports (GRE): the flows of this transport, not of `port`.
        var transport: String? = nil
        /// Where several flows use `port`, the one whose other end uses this port; without
        /// it, the first flow on `port` in report order is the one judged.
        var otherPort: Int? = nil
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
        Expect(capture: "quic_q50.pcap", port: 443, application: "quic", state: "encrypted",
               why: "Google QUIC Q050: Initial decrypted with its salt, SNI from the CHLO inside",
               sni: "www.googletagmanager.com"),
        Expect(capture: "discord.pcap", port: 64837, application: "discord", state: "encrypted",
               why: "Discord voice: IP discovery, then RTP with encrypted payloads"),
        Expect(capture: "wa_voice.pcap", port: 32704, application: "srtp", state: "encrypted",
               why: "WhatsApp call: ICE checks, then media whose RTCP is SRTCP"),
        Expect(capture: "stun_signal.pcapng", port: 61156, application: "srtp", state: "encrypted",
               why: "Signal call: ICE checks, then media whose RTCP is SRTCP with the AEAD trailer"),
        Expect(capture: "zoom2.pcap", port: 58117, application: "zoom", state: "encrypted",
               why: "Zoom through its servers: control and probes, then audio (RTP inside Zoom's media header)"),
        Expect(capture: "zoom.pcap", port: 58327, application: "zoom", state: "cleartext",
               why: "Zoom through its servers: set-up echoed by the server, then bandwidth probes and no media"),
        Expect(capture: "zoom_p2p.pcapng", port: 46757, application: "zoom", state: "encrypted",
               why: "Zoom peer to peer: ICE, hole punching, then video and audio"),
        Expect(capture: "zoom_p2p.pcapng", port: 47312, application: "zoom", state: "cleartext",
               why: "Zoom hole punching alone: readable addresses and ids, no media"),
        Expect(capture: "yojimbo.pcap", port: 40000, application: "netcode", state: "encrypted",
               why: "netcode.io connection request: version, then the sealed connect token"),
        Expect(capture: "gtp_c.pcap", port: 2123, application: "gtpc", state: "cleartext",
               why: "GTPv2-C session creation and deletion: elements tiling each message"),
        Expect(capture: "tls_invalid_reads.pcap", port: 2152, application: "gtpu", state: "cleartext",
               why: "GTP-U carrying a subscriber's TLS connection: the tunnel encrypts nothing",
               banner: "TEID 0x7ece496: 10.191.139.17 → 54.221.224.45 tcp/443"),
        Expect(capture: "of13_ericsson.pcapng", port: 6633, application: "openflow", state: "cleartext",
               why: "OpenFlow 1.3 between an Ericsson switch and its controller (tcpdump's test capture)",
               banner: "OpenFlow 1.3", tcpdump: true),
        Expect(capture: "pptp.pcap", port: 1723, application: "pptp", state: "cleartext",
               why: "PPTP control connection from a Windows NT peer (tcpdump's test capture)",
               banner: "PPTP vendor Microsoft Windows NT", tcpdump: true),
        Expect(capture: "nats.pcap", port: 4222, application: "nats", state: "cleartext",
               why: "NATS INFO, CONNECT with tls_required false, PING/PONG"),
        Expect(capture: "netflowv9.pcap", port: 2057, application: "netflow", state: "cleartext",
               why: "NetFlow v9 export: template and data flowsets filling the datagram", banner: "NetFlow v9"),
        Expect(capture: "sflow-print-v6.pcap", port: 6343, application: "sflow", state: "cleartext",
               why: "sFlow v5 from an IPv6 agent (tcpdump's test capture)", banner: "sFlow v5, 1 samples", tcpdump: true),
        Expect(capture: "sflow_multiple_counter_30_pdus.pcap", port: 6343, application: "sflow", state: "cleartext",
               why: "sFlow v5 counter samples (tcpdump's test capture)", banner: "sFlow v5, 7 samples", tcpdump: true),
        Expect(capture: "sflow_print-segv.pcap", port: 6343, application: "null", state: "unknown",
               why: "a datagram built to crash sFlow parsers: its samples do not fill it, not claimed", tcpdump: true),
        Expect(capture: "gquic_only_from_server.pcap", port: 443, application: "quic", state: "encrypted",
               why: "Google QUIC seen from the server alone: its REJ handshake message in clear"),
        Expect(capture: "radius_false_positive.pcapng", port: 443, application: "quic", state: "encrypted",
               why: "Google QUIC over IPv6, server side only: REJ, then encrypted packets"),
        Expect(capture: "vxlan.pcap", port: 4789, application: "vxlan", state: "cleartext",
               why: "VXLAN carrying TLS and DNS: the overlay itself encrypts nothing",
               banner: "VNI 1111: 10.10.20.4 → 157.240.224.35 tcp/443"),
        Expect(capture: "geneve.pcap", port: 6081, application: "geneve", state: "cleartext",
               why: "Geneve with Ethernet inside (tcpdump's test capture)", banner: "VNI 11: 30.0.0.2 → 30.0.0.1 tcp/22",
               tcpdump: true),
        Expect(capture: "geneve-gcp.pcap", port: 6081, application: "geneve", state: "cleartext",
               why: "Geneve carrying IPv4 directly, as Google Cloud sends it (tcpdump's test capture)",
               banner: "VNI 0: 192.168.100.2 → 192.168.100.1 tcp/8080", tcpdump: true),
        Expect(capture: "bigtcp-ipv6-vxlan-ipv4.pcap", port: 4789, application: "vxlan", state: "cleartext",
               why: "VXLAN over IPv6 with a BIG TCP inner packet (total length 0)", tcpdump: true),
        Expect(capture: "erspan-type-i-1.pcap", port: 0, application: "gre", state: "cleartext",
               why: "ERSPAN type I: a mirrored frame right after the GRE header",
               banner: "ERSPAN type I: 10.52.128.233 → 10.52.128.234 icmp", tcpdump: true, transport: "gre"),
        Expect(capture: "erspan-type-ii-2.pcap", port: 0, application: "gre", state: "cleartext",
               why: "ERSPAN type II: sequenced GRE, then the 8-byte ERSPAN header",
               banner: "ERSPAN type II session 1: 10.200.101.2 → 224.0.0.2 udp/1985", tcpdump: true, transport: "gre"),
        Expect(capture: "erspan-type-ii-3.pcap", port: 0, application: "gre", state: "cleartext",
               why: "ERSPAN type II mirroring spanning-tree frames (802.3, no IP)",
               banner: "ERSPAN type II session 101: 802.3 frame", tcpdump: true, transport: "gre"),
        Expect(capture: "erspan-type-iii-ft-0.pcap", port: 0, application: "gre", state: "cleartext",
               why: "ERSPAN type III carrying Ethernet (frame type 0)",
               banner: "ERSPAN type III session 0: 10.29.11.1 → 10.29.20.21 icmp", tcpdump: true, transport: "gre"),
        Expect(capture: "erspan-type-iii-ft-7.pcap", port: 0, application: "null", state: "unknown",
               why: "ERSPAN type III with a frame type other than Ethernet: not read", tcpdump: true, transport: "gre"),
        Expect(capture: "pptp.pcap", port: 0, application: "null", state: "unknown",
               why: "PPTP's enhanced GRE (version 1) carries PPP, maybe MPPE-encrypted: not claimed",
               tcpdump: true, transport: "gre"),
        // Protocols with no implementation in Debian or on PyPI to record a fixture from.
        Expect(capture: "ubntac2.pcap", port: 10001, application: "ubiquiti", state: "cleartext",
               why: "Ubiquiti discovery: TLVs that fill the datagram"),
        Expect(capture: "roughtime.pcap", port: 2002, application: "roughtime", state: "cleartext",
               why: "Roughtime: tags in order, offsets within the message; signed, not encrypted"),
        Expect(capture: "elasticsearch.pcap", port: 9300, application: "elasticsearch", state: "cleartext",
               why: "Elasticsearch transport: the ES header and a length that fills the segment"),
        Expect(capture: "fins.pcap", port: 9600, application: "fins", state: "cleartext",
               why: "Omron FINS over UDP: its header and a memory-area command"),
        Expect(capture: "kcp.pcap", port: 8000, application: "kcp", state: "cleartext",
               why: "KCP segments filling the datagram, their data a counting pattern (not random)"),
        Expect(capture: "avast.pcap", port: 80, application: "avast", state: "encrypted",
               why: "Avast NOSA on port 80: its header, then a body that looks random", otherPort: 62741),
        Expect(capture: "capwap.pcap", port: 5246, application: "capwap", state: "encrypted",
               why: "CAPWAP control: a DTLS record behind CAPWAP's DTLS header", otherPort: 12379),
        Expect(capture: "capwap.pcap", port: 5247, application: "capwap", state: "cleartext",
               why: "CAPWAP data channel without DTLS: 802.11 frames in clear"),
        Expect(capture: "tls_heur__shadowsocks-tcp.pcapng", port: 1080, application: "socks", state: "encrypted",
               why: "SOCKS 5, then TLS through the tunnel: an upgrade, as after HTTP CONNECT"),
        Expect(capture: "KakaoTalk_chat.pcap", port: 5223, application: "tls", state: "encrypted",
               why: "TLS application data without the handshake: TLS 1.0 by its record header", version: "TLS 1.0"),
    ]

    /// One flow of each protocol the inspectors recognise in nDPI's captures: the same
    /// verdict as when these tests were written, on real traffic of every kind.
    static let coverage: [Expect] = [
        Expect(capture: "BGP_Cisco_hdlc_slarp.pcap", port: 179, application: "bgp", state: "cleartext", why: "BGP marker and message type"),
        Expect(capture: "bitcoin.pcap", port: 8333, application: "bitcoin", state: "cleartext", why: "Bitcoin network magic"),
        Expect(capture: "dhcp-fuzz.pcapng", port: 67, application: "dhcp", state: "cleartext", why: "DHCP magic cookie"),
        Expect(capture: "dnscrypt-v1-and-resolver-pings.pcap", port: 443, application: "dnscrypt", state: "encrypted", why: "DNSCrypt certificate exchange"),
        Expect(capture: "custom_rules_ipv6.pcapng", port: 100, application: "dtls", state: "encrypted", why: "DTLS record layer"),
        Expect(capture: "ethereum.pcap", port: 30303, application: "ethereum", state: "cleartext", why: "devp2p node discovery (signed, not encrypted)"),
        Expect(capture: "esp.pcapng", port: 500, application: "ike", state: "encrypted", why: "IKE header"),
        Expect(capture: "kerberos-login.pcap", port: 88, application: "kerberos", state: "cleartext", why: "Kerberos KDC exchange"),
        Expect(capture: "wa_voice.pcap", port: 5353, application: "mdns", state: "cleartext", why: "multicast DNS"),
        Expect(capture: "dos_win98_smb_netbeui.pcap", port: 138, application: "netbios", state: "cleartext", why: "NetBIOS datagram service"),
        Expect(capture: "nfsv3.pcap", port: 111, application: "nfs", state: "cleartext", why: "ONC RPC call"),
        Expect(capture: "NTPv2.pcap", port: 80, application: "ntp", state: "cleartext", why: "NTP mode and version"),
        Expect(capture: "443-opvn.pcap", port: 1194, application: "openvpn", state: "encrypted", why: "OpenVPN over TCP, session confirmed"),
        Expect(capture: "doq.pcapng", port: 784, application: "quic", state: "encrypted", why: "QUIC long header (DNS over QUIC)"),
        Expect(capture: "rdp.pcap", port: 3389, application: "rdp", state: "encrypted", why: "RDP negotiation, then TLS"),
        Expect(capture: "rtsp_setup_http.pcapng", port: 8554, application: "rtsp", state: "cleartext", why: "RTSP request line"),
        Expect(capture: "FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", port: 5060, application: "sip", state: "cleartext", why: "SIP request line"),
        Expect(capture: "srvloc-v1.pcapng", port: 427, application: "slp", state: "cleartext", why: "SLP v1 header"),
        Expect(capture: "socks.pcap", port: 21477, application: "socks", state: "cleartext", why: "SOCKS handshake"),
        Expect(capture: "skype-conference-call.pcap", port: 60642, application: "stun", state: "cleartext", why: "STUN binding with magic cookie"),
        Expect(capture: "wa_voice.pcap", port: 5222, application: "whatsapp", state: "encrypted", why: "WhatsApp Noise preamble"),
        Expect(capture: "jabber.pcap", port: 5222, application: "xmpp", state: "cleartext", why: "XMPP stream header"),
        Expect(capture: "zabbix.pcap", port: 10050, application: "zabbix", state: "cleartext", why: "ZBXD header"),
        Expect(capture: "coap_mqtt.pcap", port: 17501, application: "mqtt", state: "cleartext", why: "MQTT CONNECT",
               otherPort: 53528),
        Expect(capture: "smb_frags.pcap", port: 445, application: "smb", state: "cleartext", why: "SMB header"),
        Expect(capture: "resp.pcap", port: 6379, application: "redis", state: "cleartext", why: "RESP commands"),
        Expect(capture: "pgsql.pcap", port: 5432, application: "postgresql", state: "cleartext", why: "PostgreSQL startup"),
        Expect(capture: "imap-starttls.pcap", port: 143, application: "imap", state: "encrypted", why: "IMAP STARTTLS upgrade"),
        Expect(capture: "ftp-start-tls.pcap", port: 21, application: "ftp", state: "encrypted", why: "FTP AUTH TLS upgrade"),
    ]

    @Test(.enabled(if: present, "needs ../shared/corpus/ndpi beside the project: skipped"), arguments: coverage)
    func protocolCoverage(_ e: Expect) throws { try verdict(e) }

    @Test(.enabled(if: present, "needs ../shared/corpus/ndpi beside the project: skipped"), arguments: cases)
    func verdict(_ e: Expect) throws {
        let dir = e.tcpdump ? Self.tcpdumpCaptures : Self.pcaps
        let r = try CLI.run(["replay", dir.appendingPathComponent(e.capture).path, "--format", "jsonl"])
        #expect((0...1).contains(r.status), "\(r.stderr)")
        let flows = r.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["type"] as? String == "flow" else { return nil }
            if let t = e.transport { return o["transport"] as? String == t ? o : nil }
            let ports = [(o["client"] as? [String: Any])?["port"] as? Int, (o["server"] as? [String: Any])?["port"] as? Int]
            return ports.contains(e.port) && (e.otherPort.map { ports.contains($0) } ?? true) ? o : nil
        }
        // One flow is judged, not "any flow on the port": the one with the expected
        // banner where there is one, else the first in report order.
        #expect(!flows.isEmpty, "no flow on port \(e.port)")
        let withBanner = e.banner.flatMap { b in flows.first { ($0["banner"] as? String)?.hasPrefix(b) == true } }
        if let b = e.banner { #expect(withBanner != nil, "no flow on port \(e.port) with banner \(b)") }
        let f = try #require(withBanner ?? flows.first)
        let enc = f["encryption"] as? [String: Any]
        let verdict = "\(f["application"] as? String ?? "null")/\(enc?["state"] as? String ?? "?")"
        #expect(verdict == "\(e.application)/\(e.state)", "flow \(f["id"] ?? "?") on port \(e.port)")
        if let sni = e.sni { #expect(enc?["sni"] as? String == sni, "server name of flow \(f["id"] ?? "?")") }
        if let v = e.version { #expect(enc?["version"] as? String == v, "version of flow \(f["id"] ?? "?")") }
    }
}
