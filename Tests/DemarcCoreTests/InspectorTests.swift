import Foundation
import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

/// Each protocol inspector against real byte sequences (Fixtures/, written by
/// scripts/record-fixtures.py from real implementations), replayed as a flow through
/// the tracker, so the verdict is what a capture of that exchange would get.
@Suite struct InspectorTests {
    /// A fixture: `# TRANSPORT PORT APPLICATION STATE — where it was recorded`, then one
    /// line per payload, `>` client to server or `<` back, in hex.
    struct Exchange {
        var transport: String
        var port: UInt16
        var payloads: [(toServer: Bool, bytes: [UInt8])]
        /// The verdict the whole exchange must get: the report's application name
        /// (`null` for none) and encryption state.
        var application = ""
        var state = ""
    }

    static let fixtureNames: [String] = {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// Every fixture gets the verdict its header names.
    @Test(arguments: fixtureNames) func fixtureVerdict(_ name: String) throws {
        let ex = try Self.load(name)
        let (s, _) = try Self.replay(ex, name: name)
        let got = "\(s.app == .unknown ? "null" : s.app.name) \(s.state)"
        #expect(got == "\(ex.application) \(ex.state)", "VERDICT \(name) \(got)")
    }

    static func load(_ name: String) throws -> Exchange {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).txt")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let head = try #require(lines.first?.split(separator: " "))
        var ex = Exchange(transport: String(head[1]), port: try #require(UInt16(head[2])), payloads: [])
        if head.count > 4 && head[3] != "—" {
            ex.application = String(head[3])
            ex.state = String(head[4])
        }
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            var bytes: [UInt8] = []
            var i = parts[1].startIndex
            while i < parts[1].endIndex {
                let j = parts[1].index(i, offsetBy: 2)
                bytes.append(try #require(UInt8(parts[1][i..<j], radix: 16)))
                i = j
            }
            ex.payloads.append((parts[0] == ">", bytes))
        }
        return ex
    }

    /// Plays the exchange as one flow (a TCP handshake first) and returns its end state.
    static func replay(_ name: String) throws -> (InspectState, FlowDetails?) {
        try replay(load(name), name: name)
    }

    static func replay(_ ex: Exchange, name: String) throws -> (InspectState, FlowDetails?) {
        let h = FlowHarness()
        let client = "10.0.0.1", server = "10.0.0.2", cport: UInt16 = 40_000
        var t: Int64 = 1_000_000
        func next() -> Int64 { t += 1000; return t }
        if ex.transport == "tcp" {
            var cseq: UInt32 = 1000, sseq: UInt32 = 5000
            h.feed(PacketFactory.tcp4(client, cport, server, ex.port, flags: TCPFlags.syn, seq: cseq - 1), at: next())
            h.feed(PacketFactory.tcp4(server, ex.port, client, cport, flags: TCPFlags.syn | TCPFlags.ack, seq: sseq - 1), at: next())
            for p in ex.payloads {
                if p.toServer {
                    h.feed(PacketFactory.tcp4(client, cport, server, ex.port, flags: TCPFlags.ack | TCPFlags.psh, seq: cseq, payload: p.bytes), at: next())
                    cseq &+= UInt32(p.bytes.count)
                } else {
                    h.feed(PacketFactory.tcp4(server, ex.port, client, cport, flags: TCPFlags.ack | TCPFlags.psh, seq: sseq, payload: p.bytes), at: next())
                    sseq &+= UInt32(p.bytes.count)
                }
            }
        } else {
            for p in ex.payloads {
                let frame = p.toServer ? PacketFactory.udp4(client, cport, server, ex.port, payload: p.bytes)
                                       : PacketFactory.udp4(server, ex.port, client, cport, payload: p.bytes)
                h.feed(frame, at: next())
            }
        }
        let flows = h.finishAll()
        try #require(flows.count == 1, "\(name): one flow expected, got \(flows.count)")
        return (flows[0].0.inspect, flows[0].1)
    }

    static func version(_ s: InspectState) -> String? { EncryptionReport.versionName(s) }

    /// The end state of a flow of one client payload (a TCP segment, or a UDP datagram).
    static func single(_ bytes: [UInt8], port: UInt16, udp: Bool = false) -> InspectState? {
        let h = FlowHarness()
        h.feed(udp ? PacketFactory.udp4("10.0.0.1", 40_000, "10.0.0.2", port, payload: bytes)
                   : PacketFactory.tcp4("10.0.0.1", 40_000, "10.0.0.2", port, flags: TCPFlags.ack | TCPFlags.psh, seq: 1, payload: bytes))
        return h.finishAll().first?.0.inspect
    }

    @Test func tls12ClientHelloServerHelloAndCertificate() throws {
        let (s, d) = try Self.replay("tls12-certificate")
        #expect(s.app == .tls && s.state == .encrypted && s.basis == .protocol)
        #expect(Self.version(s) == "TLS 1.2")
        #expect(d?.sni == "gw-1.dataplane.example")
        let cert = try #require(d?.certificate)
        #expect(cert.subject == "CN=gw-1.dataplane.example")
        #expect(cert.issuer.contains("CN=Acme Data Plane CA"))
        #expect(cert.sha256.count == 64)
        #expect(!s.weak)
    }

    /// What a TLS handshake gave a flow, for comparing two replays of it.
    static func handshakeFacts(_ s: InspectState, _ d: FlowDetails?) -> [String?] {
        ["\(s.app.name) \(s.state)", version(s), d?.sni, d?.alpn, d?.certificate?.sha256, d?.negotiated?.ja4,
         d?.negotiated?.keyExchange, d?.negotiated?.cipher, "\(d?.handshakeIncomplete ?? true)"]
    }

    /// The handshake's bytes cut into segments of a few bytes after the first (record
    /// headers, hellos and the certificate cut anywhere, each completed from the next
    /// segments), and with each handshake record's body split over two records (messages
    /// completed from the next record): the same facts as the handshake read whole.
    @Test(arguments: [5, 16, 250]) func tlsHandshakeCutAnywhere(_ size: Int) throws {
        let whole = try Self.load("tls12-certificate")
        let (ws, wd) = try Self.replay(whole, name: "whole")
        #expect(wd?.certificate != nil && wd?.negotiated?.ja4 != nil)
        var cut = whole
        cut.payloads = []
        for (i, p) in whole.payloads.enumerated() {
            // The first segment opens with the ClientHello's record header, as TLS is
            // recognised by.
            var at = 0
            if i == 0 {
                cut.payloads.append((p.toServer, Array(p.bytes[0..<40])))
                at = 40
            }
            while at < p.bytes.count {
                cut.payloads.append((p.toServer, Array(p.bytes[at..<min(at + size, p.bytes.count)])))
                at += size
            }
        }
        let (cs, cd) = try Self.replay(cut, name: "cut")
        #expect(Self.handshakeFacts(cs, cd) == Self.handshakeFacts(ws, wd))
        var split = whole
        split.payloads = whole.payloads.map { p in
            var out: [UInt8] = [], at = 0
            while at + 5 <= p.bytes.count {
                let len = Int(p.bytes[at + 3]) << 8 | Int(p.bytes[at + 4])
                let body = Array(p.bytes[(at + 5)..<min(at + 5 + len, p.bytes.count)])
                let header = Array(p.bytes[at..<(at + 3)])
                if p.bytes[at] == 22 && body.count > 1 && !(at == 0 && p.toServer) {
                    for part in [body[..<(body.count / 2)], body[(body.count / 2)...]] {
                        out += header + [UInt8(part.count >> 8), UInt8(part.count & 0xff)] + part
                    }
                } else {
                    out += header + p.bytes[(at + 3)..<(at + 5)] + body
                }
                at += 5 + len
            }
            return (p.toServer, out + p.bytes[min(at, p.bytes.count)...])
        }
        let (ss, sd) = try Self.replay(split, name: "split")
        #expect(Self.handshakeFacts(ss, sd) == Self.handshakeFacts(ws, wd))
    }

    /// A certificate seen again is taken from the cache (not parsed again) only when its
    /// bytes are the same; the oldest goes once the cache is full; one too long to hold is
    /// parsed each time.
    @Test func certificateCacheKeepsWhatItParsed() {
        let cache = CertificateCache(capacity: 2)
        var parsed: [String] = []
        func look(_ der: [UInt8], _ name: String) -> String {
            der.withUnsafeBytes { bytes in
                cache.info(for: bytes) {
                    parsed.append(name)
                    return CertificateInfo(subject: name, issuer: "", sha256: "", notBefore: "", notAfter: "")
                }.subject
            }
        }
        let a = [UInt8](repeating: 1, count: 900), b = Array(a.dropLast()) + [2], c = [UInt8](repeating: 3, count: 40)
        #expect(look(a, "a") == "a" && look(b, "b") == "b" && look(a, "a again") == "a")
        #expect(parsed == ["a", "b"] && cache.count == 2)
        #expect(look(c, "c") == "c" && look(a, "a again") == "a again" && look(c, "c again") == "c")
        #expect(parsed == ["a", "b", "c", "a again"])
        let long = [UInt8](repeating: 7, count: CertificateCache.longestHeld + 1)
        #expect(look(long, "long") == "long" && look(long, "long again") == "long again")
    }

    /// The bytes a certificate cache holds stay within its budget: the oldest go first.
    @Test func certificateCacheKeepsToItsByteBudget() {
        let cache = CertificateCache(capacity: 100, byteBudget: CertificateCache.longestHeld * 2)
        var parses = 0
        func look(_ fill: UInt8) {
            let der = [UInt8](repeating: fill, count: CertificateCache.longestHeld)
            der.withUnsafeBytes { bytes in
                _ = cache.info(for: bytes) {
                    parses += 1
                    return CertificateInfo(subject: "\(fill)", issuer: "", sha256: "", notBefore: "", notAfter: "")
                }
            }
        }
        look(1); look(2); look(3)
        #expect(cache.count == 2 && parses == 3)
        look(3); look(2)
        #expect(parses == 3, "the two newest are held")
        look(1)
        #expect(parses == 4, "the oldest went to make room")
    }

    @Test func tls13HidesTheCertificate() throws {
        let (s, d) = try Self.replay("tls13")
        #expect(s.app == .tls && s.state == .encrypted)
        #expect(Self.version(s) == "TLS 1.3")
        #expect(d?.sni == "gw-1.dataplane.example")
        #expect(d?.certificate == nil)
    }

    @Test func tls10IsWeak() throws {
        let (s, d) = try Self.replay("tls10-weak")
        #expect(s.app == .tls && s.state == .encrypted)
        #expect(Self.version(s) == "TLS 1.0")
        #expect(s.weak)
        #expect(d?.sni == "portal.example.net")
    }

    /// aioquic's client Initial, for versions 1 and 2: decrypted, its ClientHello read.
    @Test(arguments: [("quic-v1-initial", "QUIC v1"), ("quic-v2-initial", "QUIC v2")])
    func quicInitialYieldsSNI(_ name: String, _ version: String) throws {
        let (s, d) = try Self.replay(name)
        #expect(s.app == .quic && s.state == .encrypted)
        #expect(Self.version(s) == version)
        #expect(d?.sni == "quic.demarc.test")
        #expect(d?.alpn == "h3")
    }

    @Test func quicInitialKeysMatchRFC9001() throws {
        // RFC 9001, Appendix A.1: client Initial keys for DCID 0x8394c8f03e515708.
        let keys = try #require(QUICInitial.clientKeys(version: 1, dcid: [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]))
        func hex(_ k: some Sequence<UInt8>) -> String { k.map { String(format: "%02x", $0) }.joined() }
        #expect(keys.key.withUnsafeBytes { hex($0) } == "1f369613dd76d5467730efcbe3b1a22d")
        #expect(hex(keys.iv) == "fa044b2f42a3fd3b46fb255c")
        #expect(keys.hp.withUnsafeBytes { hex($0) } == "9f50449e04a0e810283a1e9933adedd2")
    }

    @Test func quicInitialThatDoesNotDecryptIsStillQUIC() throws {
        var ex = try Self.load("quic-v1-initial")
        // Corrupt one byte of the protected payload: authentication fails, so nothing
        // read from it may be reported.
        var bytes = ex.payloads[0].bytes
        bytes[200] ^= 0xff
        ex.payloads[0].bytes = bytes
        let frames = bytes.withUnsafeBytes { QUICInitial.cryptoFrames(Bytes($0)) }
        #expect(frames == nil)
        // The long header still says QUIC: the flow is QUIC, encrypted, with no name.
        let (s, d) = try Self.replay(ex, name: "quic-v1-initial, corrupted")
        #expect(s.app == .quic && s.state == .encrypted && s.basis == .protocol)
        #expect(d?.sni == nil)
        #expect(Self.version(s) == "QUIC v1")
    }

    /// A client that opens with a reserved version (RFC 9000 §6.3) to force version
    /// negotiation, then, after the server's Version Negotiation, sends its version 1
    /// Initial (aioquic's): that Initial is decrypted and its ClientHello read. Where the
    /// server answers anything but a Version Negotiation, nothing more is read.
    @Test(arguments: [true, false])
    func quicInitialAfterVersionNegotiation(_ negotiated: Bool) throws {
        let v1 = try Self.load("quic-v1-initial")
        let dcid: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        // A long-header Initial in version 0x1a2a3a4a, padded to 1200 bytes.
        var reserved: [UInt8] = [0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8] + dcid + [0]
        reserved += [UInt8](repeating: 0x5c, count: 1200 - reserved.count)
        // Version Negotiation (version 0) offering version 1; or a short-header packet.
        let answer: [UInt8] = negotiated ? [0x80, 0, 0, 0, 0, 0, 8] + dcid + [0, 0, 0, 1]
                                         : [0x40] + [UInt8](repeating: 0x33, count: 40)
        var ex = v1
        ex.payloads = [(true, reserved), (false, answer), v1.payloads[0]]
        let (s, d) = try Self.replay(ex, name: "quic-v1-initial after a reserved version")
        #expect(s.app == .quic && s.state == .encrypted)
        // The version is the one the flow's first packet named.
        #expect(s.version == 0x1a2a_3a4a)
        let (_, alone) = try Self.replay(v1, name: "quic-v1-initial")
        #expect(alone?.negotiated?.ja4 != nil)
        if negotiated {
            #expect(d?.negotiated?.ja4 == alone?.negotiated?.ja4)
            #expect(d?.sni == "quic.demarc.test")
        } else {
            #expect(d?.negotiated?.ja4 == nil)
            #expect(d?.sni == nil)
        }
    }

    @Test func httpRequestIsCleartext() throws {
        let (s, d) = try Self.replay("http")
        #expect(s.app == .http && s.state == .cleartext && s.basis == .protocol)
        #expect(d?.reported.httpMethod == "GET")
        #expect(d?.reported.httpPath == "/")
        #expect(d?.reported.httpHost == "198.51.100.20:8080")
    }

    @Test func httpRequestLineWithRunsOfSpaces() throws {
        // Servers accept runs of spaces around the target; evasive clients use them.
        let text = Array("GET        /very_long_uri HTTP/1.1\r\nhOsT: www.lan:8080\r\n\r\n".utf8)
        let parsed = text.withUnsafeBytes { HTTPInspector.parse(Bytes($0)) }
        guard case .request(let method, let target, let host) = parsed else {
            Issue.record("not parsed as a request: \(parsed)")
            return
        }
        #expect(method == "GET" && target == "/very_long_uri" && host == "www.lan:8080")
        let notHTTP = Array("GET        /x SMTP/1.1\r\n".utf8)
        let rejected = notHTTP.withUnsafeBytes { HTTPInspector.parse(Bytes($0)) }
        guard case .no = rejected else { Issue.record("accepted a non-HTTP line"); return }
    }

    @Test func sshBannersAreEncrypted() throws {
        let (s, d) = try Self.replay("ssh")
        #expect(s.app == .ssh && s.state == .encrypted)
        #expect(Self.version(s) == "SSH 2.0")
        #expect(d?.banner?.hasPrefix("SSH-2.0-OpenSSH") == true)
    }

    @Test func dnsIsCleartext() throws {
        let (s, _) = try Self.replay("dns")
        #expect(s.app == .dns && s.state == .cleartext)
    }

    @Test func smbNegotiateIsCleartext() throws {
        let (s, _) = try Self.replay("smb")
        #expect(s.app == .smb && s.state == .cleartext)
    }

    @Test func postgresqlSSLRequestUpgradesToTLS() throws {
        let (s, _) = try Self.replay("postgresql-tls")
        #expect(s.app == .postgresql && s.state == .encrypted && s.upgraded)
        #expect(Self.version(s) == "TLS 1.3")
    }

    @Test func postgresqlWithoutSSLIsCleartext() throws {
        let (s, _) = try Self.replay("postgresql-plain")
        #expect(s.app == .postgresql && s.state == .cleartext && !s.upgraded)
    }

    @Test func smtpStartTLSUpgrades() throws {
        let (s, _) = try Self.replay("smtp-starttls")
        #expect(s.app == .smtp && s.state == .encrypted && s.upgraded)
    }

    /// Plaintext protocols spoken by real clients: logins in clear (FTP, POP3, IMAP, an
    /// LDAP simple bind, telnet), Redis, MQTT, syslog (UDP, TCP with octet counting, TCP
    /// in BSD format), SNMPv2c with its community, git://
    /// against git daemon, a gearman job, FIX Logons, a Modbus/TCP request, a CoAP GET,
    /// a Kafka client's first request, an AMQP connection start, memcached set/get, an IRC
    /// registration, a WHOIS query, rsync's daemon greeting, a TFTP read request and a
    /// RADIUS Access-Request.
    @Test(arguments: [("ftp", AppProtocol.ftp), ("pop3", .pop3), ("imap", .imap), ("ldap", .ldap), ("telnet", .telnet),
                      ("redis", .redis), ("mqtt", .mqtt), ("syslog", .syslog), ("snmp", .snmp), ("git", .git),
                      ("gearman", .gearman), ("fix", .fix), ("modbus", .modbus), ("coap", .coap),
                      ("kafka", .kafka), ("amqp", .amqp), ("memcached", .memcached), ("irc", .irc), ("whois", .whois),
                      ("rsync", .rsync), ("tftp", .tftp), ("radius", .radius),
                      ("syslog-tcp", .syslog), ("syslog-bsd-tcp", .syslog)])
    func cleartextLogins(_ name: String, _ app: AppProtocol) throws {
        let (s, _) = try Self.replay(name)
        #expect(s.app == app && s.state == .cleartext && s.basis == .protocol && !s.upgraded)
    }

    /// NATS against a real nats-server: INFO and CONNECT in clear; with the server
    /// requiring TLS, the client's hello after INFO upgrades the flow.
    @Test func natsPlainAndUpgraded() throws {
        let (plain, _) = try Self.replay("nats")
        #expect(plain.app == .nats && plain.state == .cleartext && plain.basis == .protocol && !plain.upgraded)
        let (tls, d) = try Self.replay("nats-tls")
        #expect(tls.app == .nats && tls.state == .encrypted && tls.upgraded)
        #expect(EncryptionReport.versionName(tls) == "TLS 1.3")
        #expect(d?.sni == nil)   // nats-py names no server over an address
    }

    /// Flow exports from softflowd and pmacctd: every flow (or sampled packet header) the
    /// exporter saw, in clear. A datagram
    /// whose length or sets do not add up is not claimed.
    @Test(arguments: [("netflow-v5", AppProtocol.netflow, "NetFlow v5, "), ("netflow-v9", .netflow, "NetFlow v9"),
                      ("ipfix", .ipfix, "IPFIX"), ("sflow", .sflow, "sFlow v5, ")])
    func flowExportsAreCleartext(_ name: String, _ app: AppProtocol, _ banner: String) throws {
        let (s, d) = try Self.replay(name)
        #expect(s.app == app && s.state == .cleartext && s.basis == .protocol)
        #expect(d?.banner?.hasPrefix(banner) == true)
        var bytes = try Self.load(name).payloads[0].bytes
        bytes.removeLast(4)
        #expect(Self.single(bytes, port: 2055, udp: true)?.app != app)
    }

    /// A VXLAN datagram as the Linux kernel encapsulates it: the overlay encrypts
    /// nothing, and the banner names the network and the packet it carries.
    @Test func kernelVXLANIsCleartextOverlay() throws {
        let (s, d) = try Self.replay("vxlan")
        #expect(s.app == .vxlan && s.state == .cleartext && s.basis == .protocol)
        #expect(d?.banner == "VNI 4242: 10.199.0.1 → 10.199.0.2 udp/9999")
    }

    /// Not an overlay: a VXLAN-like header whose inner frame is not a sound packet, and a
    /// Geneve-like header of an unknown protocol type, are left to other inspectors.
    @Test func overlayNeedsASoundInnerPacket() throws {
        let ex = try Self.load("vxlan")
        var bytes = ex.payloads[0].bytes
        bytes[8 + 14] = 0x55   // inner IPv4 header's version/length byte
        #expect(bytes.withUnsafeBytes { OverlayInspector.vxlan(Bytes($0)) } != nil)
        #expect(bytes.withUnsafeBytes { b in OverlayInspector.vxlan(Bytes(b)).flatMap { OverlayInspector.innerSummary($0.inner, ethernet: $0.ethernet) } } == nil)
        var geneve: [UInt8] = [0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x0b, 0x00]
        geneve += ex.payloads[0].bytes.dropFirst(8)
        #expect(geneve.withUnsafeBytes { OverlayInspector.geneve(Bytes($0)) } == nil)
        geneve[2] = 0x65; geneve[3] = 0x58   // Transparent Ethernet Bridging
        #expect(geneve.withUnsafeBytes { b in OverlayInspector.geneve(Bytes(b)).flatMap { OverlayInspector.innerSummary($0.inner, ethernet: $0.ethernet) } }
                == "10.199.0.1 → 10.199.0.2 udp/9999")
    }

    /// ICE checks, then media on the same 5-tuple: its RTCP says whether that media is
    /// SRTP (libsrtp's SRTCP, with the HMAC-SHA1 or the AEAD trailer) or plain RTP.
    @Test(arguments: [("ice-srtp-sha1", AppProtocol.srtp, EncryptionState.encrypted), ("ice-srtp-gcm", .srtp, .encrypted),
                      ("ice-rtp", .rtp, .cleartext)])
    func iceMediaIsJudgedByItsRTCP(name: String, app: AppProtocol, state: EncryptionState) throws {
        let (s, _) = try Self.replay(name)
        #expect(s.app == app && s.state == state && s.basis == .protocol)
    }

    /// RTCP on its own port (no multiplexing with the media): one packet decides, SRTCP
    /// for SRTP, plain compound RTCP for RTP. The packets are the fixtures' own.
    @Test func rtcpOnItsOwnPortTellsTheMediaApart() throws {
        let srtcp = try #require(Self.load("ice-srtp-gcm").payloads.last?.bytes)
        let plain = try #require(Self.load("ice-rtp").payloads.last?.bytes)
        for (bytes, app, state) in [(srtcp, AppProtocol.srtp, EncryptionState.encrypted), (plain, .rtp, .cleartext)] {
            let s = Self.single(bytes, port: 16_385, udp: true)
            #expect(s?.app == app && s?.state == state)
        }
    }

    /// What sets SRTCP apart: the E flag and index after the encrypted part. Without the
    /// flag (SRTCP's NULL cipher) or with an index no sender reaches, it is not encrypted
    /// RTCP; plain RTCP tiles its datagram, and a cut one is neither.
    @Test func srtcpNeedsItsEncryptionFlag() throws {
        let ex = try Self.load("ice-srtp-sha1")
        let srtcp = ex.payloads[ex.payloads.count - 1].bytes
        let plain = try #require(Self.load("ice-rtp").payloads.last?.bytes)
        func encrypted(_ b: [UInt8]) -> Bool { b.withUnsafeBytes { RTP.isEncryptedRTCP(Bytes($0)) } }
        func rtcp(_ b: [UInt8]) -> Bool { b.withUnsafeBytes { RTP.isRTCP(Bytes($0)) } }
        #expect(encrypted(srtcp) && !rtcp(srtcp))
        var flagOff = srtcp
        flagOff[srtcp.count - 14] &= 0x7f
        #expect(!encrypted(flagOff))
        var farIndex = srtcp
        farIndex[srtcp.count - 14] = 0xff
        #expect(!encrypted(farIndex))
        #expect(rtcp(plain) && !encrypted(plain))
        #expect(!rtcp(Array(plain.dropLast(4))) && !encrypted(Array(plain.prefix(7))))
    }

    /// Cleartext protocols recognised from real exchanges, and the banner each gives:
    /// GTP as Osmocom's SGSN emulator and GGSN speak it (GTP-C version 1 creates and
    /// deletes a PDP context in clear; GTP-U carries the subscriber's packets, the banner
    /// naming the tunnel and the first of them); Open vSwitch's control planes (OpenFlow
    /// 1.3 between ovs-ofctl and ovs-vswitchd, OVSDB between ovs-vsctl and ovsdb-server,
    /// neither encrypting without TLS); the BSD remote shells as Debian's clients open
    /// them (user names, and rsh's command, in clear from the first byte).
    @Test(arguments: [
        ("gtp-c", AppProtocol.gtpc, nil), ("gtp-u", .gtpu, "TEID 0x1: 10.45.0.1 → 10.45.0.1 icmp"),
        ("openflow", .openflow, "OpenFlow 1.3"), ("ovsdb", .ovsdb, nil),
        ("rsh", .rsh, "rsh as alice: uptime"), ("rlogin", .rlogin, "rlogin as alice"),
    ] as [(String, AppProtocol, String?)])
    func cleartextByProtocol(name: String, app: AppProtocol, banner: String?) throws {
        let (s, d) = try Self.replay(name)
        #expect(s.app == app && s.state == .cleartext && s.basis == .protocol)
        if let banner { #expect(d?.banner == banner) }
    }

    /// GTP-U's length must match the datagram and the packet inside must be sound; an
    /// extension header chain (as 5G's PDU session container) is walked to the packet.
    @Test func gtpUserNeedsItsLengthAndASoundPacket() throws {
        let g = try #require(Self.load("gtp-u").payloads.first?.bytes)
        func inner(_ b: [UInt8]) -> String? {
            b.withUnsafeBytes { raw in OverlayInspector.gtpUser(Bytes(raw)).flatMap { OverlayInspector.innerSummary($0.inner, ethernet: false) } }
        }
        #expect(inner(g) == "10.45.0.1 → 10.45.0.1 icmp")
        #expect(inner(Array(g.dropLast())) == nil)
        var unsound = g
        unsound[12] = 0x55   // the carried IPv4 header's version and length (after the 12-byte header)
        #expect(inner(unsound) == nil)
        // The same packet behind one 4-byte extension header: E flag, its type in byte 11.
        var extended = Array(g[0..<12]) + [0x01, 0x00, 0x09, 0x00] + Array(g[12...])
        extended[0] |= 0x04
        extended[11] = 0x85
        extended[3] &+= 4
        #expect(inner(extended) == "10.45.0.1 → 10.45.0.1 icmp")
        extended[12] = 0xff   // an extension header running past the datagram
        #expect(inner(extended) == nil)
    }

    /// iSCSI as libiscsi and tgt speak it: the login's text keys in clear, then SCSI
    /// commands; nothing encrypts the disk's blocks.
    @Test func iscsiLoginIsCleartext() throws {
        let (s, _) = try Self.replay("iscsi")
        #expect(s.app == .iscsi && s.state == .cleartext && s.basis == .protocol)
        // A SCSI command (not a login) from the same session does not identify iSCSI,
        // nor does a login whose data is not a text key.
        let ex = try Self.load("iscsi")
        var login = ex.payloads[0].bytes
        login[48] = UInt8(ascii: "=")
        for bytes in [ex.payloads[2].bytes, login] {
            #expect(Self.single(bytes, port: 3260)?.app != .iscsi)
        }
    }

    /// ClickHouse's and IEC 62056-21's opening messages count only from their own side:
    /// the server's Hello or the meter's identification alone name the flow, the same
    /// bytes sent by the client do not.
    @Test func openingMessagesCountFromTheirOwnSide() throws {
        for (name, app) in [("clickhouse", AppProtocol.clickhouse), ("iec62056-21", .iec6205621)] {
            var ex = try Self.load(name)
            let fromServer = try #require(ex.payloads.first { !$0.toServer }?.bytes)
            ex.payloads = [(false, fromServer)]
            #expect(try Self.replay(ex, name: name).0.app == app, "\(name): the server's message alone")
            ex.payloads = [(true, fromServer)]
            #expect(try Self.replay(ex, name: name).0.app != app, "\(name): the server's message from the client")
        }
    }

    /// Not OpenFlow: a TPKT header (03 00 and a length, as RDP, S7 and MMS open with) is
    /// no bare OpenFlow 1.2 HELLO, nor a 1.3 HELLO whose elements do not fill it; not
    /// OVSDB: a JSON-RPC 2.0 request.
    @Test func openFlowAndOVSDBNeedTheirShape() throws {
        func app(_ bytes: [UInt8], port: UInt16) -> AppProtocol? { Self.single(bytes, port: port)?.app }
        let tpkt: [UInt8] = [0x03, 0x00, 0x00, 0x0b, 0x06, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00]
        #expect(app(tpkt, port: 102) != .openflow)
        // ovs-ofctl's HELLO: OpenFlow 1.3 with a version bitmap element (16 bytes).
        var hello = try #require(Self.load("openflow").payloads.first { $0.toServer }?.bytes)
        try #require(hello.count == 16)
        #expect(app(hello, port: 40_001) == .openflow)
        hello[11] = 0x20   // the version bitmap element claims more than the HELLO holds
        #expect(app(hello, port: 40_001) != .openflow)
        let rpc2 = Array(#"{"jsonrpc": "2.0", "method": "echo", "params": [], "id": 1}"#.utf8)
        #expect(app(rpc2, port: 6640) != .ovsdb)
    }

    /// ONC RPC as rpcinfo calls rpcbind (AUTH_NULL): cleartext. The same call under an
    /// RPCSEC_GSS credential (RFC 2203) is judged by its service: privacy encrypts,
    /// integrity only signs, and a context being set up waits for the first data call.
    @Test func rpcIsJudgedByItsCredential() throws {
        let (s, _) = try Self.replay("onc-rpc")
        #expect(s.app == .nfs && s.state == .cleartext && s.basis == .protocol)
        let call = try #require(Self.load("onc-rpc").payloads.first?.bytes)
        // Record marker (4), then xid … procedure (24), credential, verifier, arguments.
        func gss(proc: UInt32, service: UInt32) -> [UInt8] {
            func word(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
            let credential = word(6) + word(20) + word(1) + word(proc) + word(1) + word(service) + word(0)
            let verifier = word(6) + word(0)
            let arguments = Array(call[(4 + 24 + 16)...])   // AUTH_NULL credential and verifier: 16 bytes
            let message = Array(call[4..<28]) + credential + verifier + arguments
            return word(0x8000_0000 | UInt32(message.count)) + message
        }
        func verdict(_ calls: [[UInt8]]) -> (InspectState, FlowDetails?) {
            let h = FlowHarness()
            var seq: UInt32 = 1
            for c in calls {
                h.feed(PacketFactory.tcp4("10.0.0.1", 900, "10.0.0.2", 2049, flags: TCPFlags.ack | TCPFlags.psh, seq: seq, payload: c))
                seq &+= UInt32(c.count)
            }
            let f = h.finishAll()
            return (f[0].0.inspect, f[0].1)
        }
        let (privacy, pd) = verdict([gss(proc: 0, service: 3)])
        #expect(privacy.app == .nfs && privacy.state == .encrypted && pd?.banner == "RPCSEC_GSS privacy")
        let (integrity, _) = verdict([gss(proc: 0, service: 2)])
        #expect(integrity.app == .nfs && integrity.state == .cleartext)
        let (pending, _) = verdict([gss(proc: 1, service: 3)])
        #expect(pending.app == .nfs && pending.state == .unknown)
        let (settled, _) = verdict([gss(proc: 1, service: 3), gss(proc: 0, service: 3)])
        #expect(settled.state == .encrypted)
        // RPC-with-TLS: the AUTH_TLS probe (flavor 7), then a TLS ClientHello.
        var probe = call
        probe[4 + 24 + 3] = 7
        let hello = try #require(Self.load("tls13").payloads.first?.bytes)
        let (tls, _) = verdict([probe, hello])
        #expect(tls.state == .encrypted && tls.upgraded)
    }

    /// PPTP's control connection as Debian's pptp client and pptpd open it: cleartext,
    /// with the host and vendor names in the banner; without the magic cookie it is not
    /// PPTP.
    @Test func pptpControlConnectionIsCleartext() throws {
        let (s, d) = try Self.replay("pptp")
        #expect(s.app == .pptp && s.state == .cleartext && s.basis == .protocol)
        #expect(d?.banner == "PPTP host local, vendor cananian")
        var request = try #require(Self.load("pptp").payloads.first?.bytes)
        request[7] ^= 0xff
        #expect(Self.single(request, port: 1723)?.app != .pptp)
    }

    /// L2TP as two xl2tpd daemons set it up: control messages whose attributes tile
    /// them, the LAC's host name in the banner; a length that disagrees is not L2TP.
    @Test func l2tpControlIsCleartext() throws {
        let (s, d) = try Self.replay("l2tp")
        #expect(s.app == .l2tp && s.state == .cleartext && s.basis == .protocol)
        #expect(d?.banner == "L2TP host demarc-lac")
        var sccrq = try #require(Self.load("l2tp").payloads.first?.bytes)
        sccrq[3] &+= 1
        #expect(Self.single(sccrq, port: 1701, udp: true)?.app != .l2tp)
        // A data message (length flag, tunnel 0xad4a, session 0x8293 of the fixture's
        // exchange) carrying an LCP configure request: PPP in clear.
        let data: [UInt8] = [0x40, 0x02, 0x00, 0x0e, 0xad, 0x4a, 0x82, 0x93, 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01]
        #expect(Self.single(data, port: 1701, udp: true)?.app == .l2tp)
        #expect(Self.single(Array(data.dropLast()), port: 1701, udp: true)?.app != .l2tp)
    }

    /// DCE/RPC binds as impacket sends them: NTLMSSP at packet privacy is encrypted;
    /// without authentication, cleartext; the same bind asking for integrity only is
    /// cleartext too (signed, not sealed).
    @Test func dceRPCIsJudgedByItsAuthenticationLevel() throws {
        let (privacy, d) = try Self.replay("dcerpc-privacy")
        #expect(privacy.app == .dcerpc && privacy.state == .encrypted && d?.banner == "DCE/RPC NTLMSSP, privacy")
        let (plain, _) = try Self.replay("dcerpc-plain")
        #expect(plain.app == .dcerpc && plain.state == .cleartext)
        var bind = try #require(Self.load("dcerpc-privacy").payloads.first?.bytes)
        // The level sits 7 bytes before the credentials (the last auth-length bytes).
        let authLength = Int(bind[10]) | Int(bind[11]) << 8
        bind[bind.count - authLength - 7] = 5
        let integrity = Self.single(bind, port: 135)
        #expect(integrity?.app == .dcerpc && integrity?.state == .cleartext)
    }

    /// A SIP INVITE offering SRTP with SDES keys, as baresip sends it: cleartext SIP whose
    /// banner warns that the call's media keys are readable; without `a=crypto` it does
    /// not.
    @Test func sipWithSDESKeysSaysSo() throws {
        let (s, d) = try Self.replay("sip-sdes")
        #expect(s.app == .sip && s.state == .cleartext)
        let banner = try #require(d?.banner)
        #expect(banner.hasPrefix("INVITE sip:bob@127.0.0.1:") && banner.hasSuffix("; SRTP keys in clear (SDP a=crypto)"))
        var invite = try #require(Self.load("sip-sdes").payloads.first?.bytes)
        let text = String(decoding: invite, as: UTF8.self)
        let at = try #require(text.range(of: "a=crypto:")).lowerBound.utf16Offset(in: text)
        invite[at + 2] = UInt8(ascii: "k")   // a=krypto: no longer an SDES attribute
        let h = FlowHarness()
        h.feed(PacketFactory.udp4("10.0.0.1", 40_000, "10.0.0.2", 5060, payload: invite))
        let flows = h.finishAll()
        #expect(flows.first?.0.inspect.app == .sip && flows.first?.1?.banner?.contains("SRTP keys") == false)
    }

    /// VNC as TigerVNC speaks it: security type None leaves the session cleartext;
    /// VeNCrypt with TLSNone goes on to a TLS handshake, encrypted but with an anonymous
    /// cipher suite, which is weak.
    @Test func vncIsJudgedByItsSecurityType() throws {
        let (plain, _) = try Self.replay("vnc")
        #expect(plain.app == .vnc && plain.state == .cleartext && !plain.upgraded)
        let (tls, _) = try Self.replay("vnc-vencrypt")
        #expect(tls.app == .vnc && tls.state == .encrypted && tls.upgraded && tls.weak)
        #expect(Self.version(tls) == "TLS 1.2")
    }

    /// Syslog over TCP needs more than `<PRI>`: an RFC 5424 or RFC 3164 header after it.
    @Test func syslogOverTCPNeedsAHeader() {
        let s = Self.single(Array("<13>hello there".utf8), port: 7000)
        #expect(s != nil && s?.app != .syslog)
    }

    /// One field short, or a byte outside printable ASCII: not a remote shell.
    @Test func remoteShellsNeedTheirFields() {
        let short: [UInt8] = Array("1022\u{0}root\u{0}alice\u{0}".utf8)
        let binary: [UInt8] = [0x00, 0x72, 0x01, 0x00, 0x61, 0x00, 0x78, 0x2f, 0x39, 0x00]
        for bytes in [short, binary] {
            #expect(bytes.withUnsafeBytes { RemoteShellInspector.fields(Bytes($0))?.count } != 4)
        }
    }

    /// HTTP/2 with prior knowledge (h2c: cleartext gRPC and the like) opens with its
    /// connection preface, not an HTTP/1 request line; its first HEADERS frame names
    /// the request.
    @Test func h2cPrefaceIsCleartextHTTP() throws {
        let (s, d) = try Self.replay("h2c")
        #expect(s.app == .http && s.state == .cleartext && s.basis == .protocol)
        #expect(d?.banner == "HTTP/2 (h2c, prior knowledge)")
        // From curl's HEADERS frame: HPACK with Huffman-coded literals.
        #expect(d?.reported.httpMethod == "GET")
        #expect(d?.reported.httpPath == "/api/v1/items")
        #expect(d?.reported.httpHost?.hasPrefix("127.0.0.1:") == true)
    }

    /// RFC 7541 C.4.1: a request header block with Huffman-coded literals.
    @Test func hpackDecodesTheRFCRequestExample() throws {
        let block: [UInt8] = [0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff]
        let r = block.withUnsafeBytes { HPACK.request(Bytes($0)) }
        #expect(r.method == "GET" && r.path == "/" && r.authority == "www.example.com")
        // Bad padding (RFC 7541 §5.2: longer than 7 bits, or not the EOS prefix) is refused.
        #expect([0xf1, 0xe3, 0x00].withUnsafeBytes { HPACK.huffman(Bytes($0)) } == nil)
    }

    /// SQL Server's PRELOGIN from FreeTDS: a client that does not support encryption
    /// makes the session cleartext by itself; otherwise the server decides, and with its
    /// answer unseen the state stays unknown (never guessed).
    @Test(arguments: [("tds-encryption-off", EncryptionState.cleartext), ("tds-encryption-request", .unknown),
                      ("tds-encryption-require", .unknown)])
    func tdsPreloginOffer(_ name: String, _ state: EncryptionState) throws {
        let (s, _) = try Self.replay(name)
        #expect(s.app == .mssql && s.state == state)
    }

    /// WebSocket frames without the HTTP upgrade before them: the client's frame is
    /// masked, which hides nothing (the key is in the frame), so the flow is cleartext.
    @Test func websocketFramesWithoutTheirUpgradeAreCleartext() throws {
        let (s, _) = try Self.replay("websocket-frames")
        #expect(s.app == .websocket && s.state == .cleartext && s.basis == .protocol)
    }

    /// A TLS stream is never taken for one of the framed cleartext protocols, whatever
    /// port it runs on.
    @Test(arguments: ["tls12-certificate", "tls13", "ssh"])
    func encryptedExchangesAreNotTakenForCleartextFraming(_ name: String) throws {
        let (s, _) = try Self.replay(name)
        #expect(s.state == .encrypted)
        #expect(![AppProtocol.websocket, .git, .fix, .giop, .gearman, .modbus, .someip, .kafka, .cassandra, .amqp,
                  .memcached, .dnp3, .irc, .whois, .rsync, .bittorrent, .c37118, .dlms, .trdp, .h323, .skinny, .bfcp,
                  .thrift, .oracle].contains(s.app))
    }

    /// Inspectors that said "not mine" are remembered as bits of a three-word set; the
    /// owner of a flow is stored as its index plus one in a byte.
    @Test func inspectorsFitTheExclusionSet() {
        #expect(PayloadInspector.inspectors.count <= InspectorSet.capacity)
        var s = InspectorSet()
        let members = [0, 5, 63, 64, 100, 127, 128, 150, 191]
        for i in members { s.insert(i) }
        #expect((0..<192).filter { s.contains($0) } == members)
        var all = InspectorSet()
        for i in 0..<192 { all.insert(i) }
        #expect((0..<192).filter { all.subtracting(s).contains($0) }.count == 192 - members.count)
        #expect(all.subtracting(all) == InspectorSet())
    }

    /// The protocols recognised by a magic, a length that fills the payload or a check
    /// value never claim random bytes, over TCP or UDP, whatever their length.
    /// A TFTP transfer flow (Fixtures/tftp-transfer-read.txt) is TFTP only when its
    /// second side acknowledges the block its first side sent.
    @Test func tftpTransferNeedsAnAnswerInStep() throws {
        var ex = try Self.load("tftp-transfer-read")
        ex.payloads[1].bytes = [0, 4, 0, 2]
        let (s, _) = try Self.replay(ex, name: "tftp-transfer-read")
        #expect(s.app != .tftp)
    }

    /// An Rx flow (Fixtures/afs-rx.txt) is Rx only when the other side answers on the
    /// same epoch and connection id, with the CLIENT_INITIATED flag the other way round.
    @Test func rxNeedsTheOtherSidesEcho() throws {
        var ex = try Self.load("afs-rx")
        ex.payloads[1].bytes[0] ^= 0x40
        #expect(try Self.replay(ex, name: "afs-rx").0.app != .rx)
        ex = try Self.load("afs-rx")
        ex.payloads[1].bytes[21] |= 0x01
        #expect(try Self.replay(ex, name: "afs-rx").0.app != .rx)
    }

    @Test func framedProtocolsLeaveRandomBytesAlone() {
        let framed: [AppProtocol] = [.cipio, .c1222, .atg, .c37118, .trdp, .dlms, .haproxy, .xdmcp, .wsd, .tivoconnect,
                                     .citrix, .munin, .checkmk, .kismet, .stomp, .hl7, .jrmi, .rtps, .mgcp, .h323, .mpegts,
                                     .oracle, .ceph, .dropbox, .caneth, .nntp, .thrift, .mining, .jsonrpc, .bfcp, .cnpip,
                                     .lustre, .flute, .icecast, .skinny, .monero, .clickhouse, .z3950, .iec6205621,
                                     .openwire, .smpp, .drda, .megaco,
                                     .dicom, .zeromq, .tailscale, .melsec, .oscar, .directconnect, .rx, .steam]
        var rng = SplitMix(seed: 0x5eed_0033)
        for n in 0..<600 {
            let length = 1 + Int(rng.next() % 1400)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for udp in [false, true] {
                let s = Self.single(bytes, port: 40_001, udp: udp)
                #expect(!framed.contains(s?.app ?? .unknown), "payload \(n) of \(length) bytes taken for \(s?.app.name ?? "")")
            }
        }
    }

    /// Inspectors waiting on the same flow keep their candidates apart (a WireGuard
    /// handshake also looks like a Zoom set-up): each protocol's state is a slot of its
    /// own type, removed without touching the others.
    @Test func slotsKeepProtocolsApart() {
        let d = FlowDetails()
        let mark = WireGuardInspector.Mark(index: 0xdead_beef, counter: 40, fromClient: true)
        d[WireGuardInspector.Candidate.self] = .init(mark)
        d[OpenVPNInspector.Candidate.self] = .init(0)
        d.slot(ZoomInspector.Relayed()).session = .max
        #expect(d[WireGuardInspector.Candidate.self]?.mark == mark && d[OpenVPNInspector.Candidate.self]?.session == 0
                && d[ZoomInspector.Relayed.self]?.session == .max)
        d[OpenVPNInspector.Candidate.self] = nil
        let wg = d[WireGuardInspector.Candidate.self]?.mark
        #expect(wg?.index == 0xdead_beef && wg?.counter == 40 && wg?.fromClient == true)
        #expect(d[OpenVPNInspector.Candidate.self] == nil && d[ZoomInspector.Relayed.self]?.session == .max)
        d[WireGuardInspector.Candidate.self] = nil
        #expect(d[WireGuardInspector.Candidate.self] == nil && d[ZoomInspector.Relayed.self]?.session == .max)
        // Made once: a second `slot` call returns the same state.
        #expect(d.slot(ZoomInspector.Relayed()) === d[ZoomInspector.Relayed.self])
    }

    /// A flow's detail record holds no protocol's state: what protocols keep is in their
    /// own slots, made only for flows of that protocol. The record stays at 17 words (at
    /// 6dec3a8, with the protocols' fields in it, it took 32).
    @Test func detailRecordHoldsOnlyCommonFields() {
        #if os(Linux)
        let d = FlowDetails()
        #expect(mallocUsableSize(Unmanaged.passUnretained(d).toOpaque()) <= 17 * 8)
        withExtendedLifetime(d) {}
        #endif
    }

    /// Bytes of a real exchange cut anywhere never crash an inspector, and never yield
    /// a verdict the whole exchange contradicts (a cut TLS flow is never "cleartext").
    @Test(arguments: ["tls12-certificate", "tls13", "quic-v1-initial", "ssh", "smtp-starttls", "postgresql-tls",
                      "websocket-frames", "git", "fix", "h2c"])
    func truncatedExchangesAreSafe(_ name: String) throws {
        let ex = try Self.load(name)
        func alone(_ bytes: [UInt8]) -> (FlowState, FlowDetails?)? {
            let h = FlowHarness()
            h.feed(ex.transport == "tcp"
                   ? PacketFactory.tcp4("10.0.0.1", 40_000, "10.0.0.2", ex.port, flags: TCPFlags.ack, payload: bytes)
                   : PacketFactory.udp4("10.0.0.1", 40_000, "10.0.0.2", ex.port, payload: bytes))
            let flows = h.finishAll()
            return flows.count == 1 ? flows[0] : nil
        }
        for (i, p) in ex.payloads.enumerated() {
            let whole = try #require(alone(p.bytes)).0.inspect
            for cut in stride(from: 0, to: p.bytes.count, by: max(1, p.bytes.count / 23)) {
                let f = try #require(alone(Array(p.bytes.prefix(cut))), "\(name) payload \(i) cut at \(cut): one flow")
                let s = f.0.inspect
                #expect(f.0.packetsAB + f.0.packetsBA == 1)
                // A cut claims no protocol the whole payload is not, and never the
                // opposite state of what the whole payload proves.
                #expect(s.app == .unknown || s.app == whole.app, "\(name) payload \(i) cut at \(cut): \(s.app.name) vs \(whole.app.name)")
                if whole.basis == .protocol && whole.state != .unknown {
                    #expect(s.state == whole.state || s.state == .unknown || s.basis == .heuristic && whole.state == .encrypted,
                            "\(name) payload \(i) cut at \(cut): \(s.state) vs \(whole.state)")
                }
                #expect(s.state == .unknown || s.basis != .none, "a verdict has a basis")
            }
        }
    }
}

@Suite struct RecordedHandshakeTests {
    /// OpenSSL's DTLS 1.2 handshake (cookie exchange included): DTLS, its version and
    /// the server name from the ClientHello.
    @Test func dtls12FromOpenSSL() throws {
        let (s, d) = try InspectorTests.replay("dtls12")
        #expect(s.app == .dtls && s.state == .encrypted && s.basis == .protocol)
        #expect(InspectorTests.version(s) == "DTLS 1.2")
        #expect(d?.sni == "dtls.demarc.test")
    }
}

#if os(Linux)
/// glibc's size of an allocated block (malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_usable_size")
private func mallocUsableSize(_ p: UnsafeMutableRawPointer?) -> Int
#endif
