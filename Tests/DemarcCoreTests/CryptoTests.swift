import Foundation
import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

/// What the handshakes of recorded exchanges show of their cryptography (docs/crypto.md):
/// key exchange, cipher, certificate key and signature, post-quantum readiness, JA4.
@Suite struct CryptoTests {
    /// OpenSSL's s_server and curl, TLS 1.2: ECDHE over x25519 named by the
    /// ServerKeyExchange, the suite by its IANA name, the certificate's P-256 key.
    @Test func tls12ShowsGroupSuiteAndCertificateKey() throws {
        let (_, d) = try InspectorTests.replay("tls12-certificate")
        let n = try #require(d?.negotiated)
        #expect(n.keyExchange == "x25519" && n.postQuantum == false)
        #expect(n.cipher == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
        #expect(n.ja4 == "t12d2807h2_d943125447b4_a44c6288192a")
        let cert = try #require(d?.certificate)
        #expect(cert.key == CertificateKey(type: "EC", bits: 256, curve: "P-256"))
        #expect(cert.signature == "ecdsa-with-SHA256")
    }

    /// TLS 1.3 hides the certificate; the ServerHello's key_share and suite remain.
    @Test func tls13ShowsKeyShareWithoutCertificate() throws {
        let (_, d) = try InspectorTests.replay("tls13")
        let n = try #require(d?.negotiated)
        #expect(n.keyExchange == "x25519" && n.postQuantum == false)
        #expect(n.cipher == "TLS_AES_256_GCM_SHA384")
        #expect(d?.certificate == nil)
    }

    /// OpenSSH 9.2 with its defaults: both KEXINITs read, each purpose negotiated as
    /// RFC 4253 §7.1 says; ChaCha20-Poly1305 needs no MAC.
    @Test func sshNegotiatesFromBothKexinits() throws {
        let (s, d) = try InspectorTests.replay("ssh")
        #expect(s.app == .ssh && !s.active)
        let n = try #require(d?.negotiated)
        #expect(n.keyExchange == "sntrup761x25519-sha512" && n.postQuantum == true)
        #expect(n.cipher == "chacha20-poly1305@openssh.com" && n.mac == nil)
        #expect(n.hostKey == "ssh-ed25519")
    }

    /// Only the client's KEXINIT seen (the server's was not captured): nothing negotiated
    /// is claimed.
    @Test func sshWithOneKexinitClaimsNothing() throws {
        var ex = try InspectorTests.load("ssh")
        ex.payloads = ex.payloads.filter(\.toServer)
        let (_, d) = try InspectorTests.replay(ex, name: "ssh")
        #expect(d?.negotiated == nil)
    }

    /// An IKE_SA_INIT request whose peer never answered: the initiator's offer is not a
    /// negotiated SA.
    @Test func ikeRequestAloneClaimsNothing() throws {
        let (s, d) = try InspectorTests.replay("ike-sa-init")
        #expect(s.app == .ike)
        #expect(d?.negotiated == nil)
    }

    /// strongSwan's charon answering charon-cmd: the responder's chosen proposal.
    @Test func ikeAnswerNamesTheNegotiatedSA() throws {
        let (s, d) = try InspectorTests.replay("ike-sa-init-answer")
        #expect(s.app == .ike && !s.active)
        let n = try #require(d?.negotiated)
        #expect(n.keyExchange == "384-bit random ECP group" && n.postQuantum == false)
        #expect(n.cipher == "ENCR_AES_GCM_16-256")
    }

    /// RFC 9370: an ADDKE transform with ML-KEM makes the SA hybrid. Built from the
    /// recorded answer by adding an ADDKE1 transform (type 6, ML-KEM-768, id 36) to its
    /// proposal (no implementation at hand speaks it: Debian 12's strongSwan has no ML-KEM).
    @Test func ikeAdditionalKeyExchangeIsPostQuantum() throws {
        let ex = try InspectorTests.load("ike-sa-init-answer")
        var m = try #require(ex.payloads.first { !$0.toServer }?.bytes)
        m.removeFirst(4)  // the non-ESP marker
        // SA payload at 28: generic header (4), proposal header (8, transform count at
        // offset 7), transforms; append one and fix the lengths.
        let transform: [UInt8] = [0, 0, 0, 8, 6, 0, 0, 36]
        let proposalLength = Int(m[28 + 4 + 2]) << 8 | Int(m[28 + 4 + 3])
        var lastTransform = 28 + 4 + 8
        while m[lastTransform] == 3 { lastTransform += Int(m[lastTransform + 2]) << 8 | Int(m[lastTransform + 3]) }
        m[lastTransform] = 3
        m.insert(contentsOf: transform, at: 28 + 4 + proposalLength)
        m[28 + 4 + 7] += 1
        func add(_ at: Int, _ n: Int) { let v = (Int(m[at]) << 8 | Int(m[at + 1])) + n; m[at] = UInt8(v >> 8); m[at + 1] = UInt8(v & 0xff) }
        add(28 + 2, 8); add(28 + 4 + 2, 8); add(26, 8)
        let n = m.withUnsafeBytes { IKEInspector.saInitResponse(Bytes($0)) }
        #expect(n?.keyExchange == "384-bit random ECP group + ML-KEM-768")
        #expect(n?.postQuantum == true)
    }

    /// RFC 4253 §7.1: the first client algorithm the server also lists, whatever the
    /// server's own order.
    @Test func sshPicksTheClientsFirstCommonAlgorithm() {
        let kex = SSHKexStreams()
        kex.toServer.lists = [["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"], ["ssh-ed25519"],
                              ["aes128-ctr"], ["aes128-ctr"], ["hmac-sha2-256"], ["hmac-sha2-256"]]
        kex.toClient.lists = [["curve25519-sha256", "sntrup761x25519-sha512@openssh.com"], ["rsa-sha2-512", "ssh-ed25519"],
                              ["aes128-ctr"], ["aes128-ctr"], ["hmac-sha1", "hmac-sha2-256"], ["hmac-sha2-256"]]
        let n = kex.negotiated()
        #expect(n?.keyExchange == "sntrup761x25519-sha512@openssh.com" && n?.postQuantum == true)
        #expect(n?.hostKey == "ssh-ed25519" && n?.cipher == "aes128-ctr" && n?.mac == "hmac-sha2-256")
    }

    /// The ML-KEM codepoints of the TLS Supported Groups registry are post-quantum, the
    /// classical groups are not.
    @Test func tlsGroupsByRegistry() {
        for (code, name) in [(0x11ec, "X25519MLKEM768"), (0x11eb, "SecP256r1MLKEM768"), (0x11ed, "SecP384r1MLKEM1024"),
                             (0x0200, "MLKEM512"), (0x0201, "MLKEM768"), (0x0202, "MLKEM1024"), (0x6399, "X25519Kyber768Draft00")] {
            #expect(CryptoNames.tlsGroup(UInt16(code)) == name && CryptoNames.isPostQuantumTLSGroup(UInt16(code)))
        }
        for code in [23, 24, 25, 29, 30, 256] { #expect(!CryptoNames.isPostQuantumTLSGroup(UInt16(code))) }
        #expect(CryptoNames.tlsGroup(0x1234) == "0x1234")
    }
}

/// Post-quantum readiness on recorded handshakes of both kinds, and the scenario keys
/// that require it.
@Suite struct PostQuantumTests {
    /// tlslite-ng's TLS 1.3 with the hybrid group, OpenSSL's with x25519; OpenSSH's
    /// default sntrup761 hybrid and curve25519 when told.
    @Test(arguments: [("tls13-x25519mlkem768", "X25519MLKEM768", true), ("tls13-x25519", "x25519", false),
                      ("ssh-sntrup761", "sntrup761x25519-sha512", true), ("ssh-curve25519", "curve25519-sha256", false)])
    func recordedKeyExchange(_ name: String, _ kex: String, _ pq: Bool) throws {
        let (s, d) = try InspectorTests.replay(name)
        #expect(s.state == .encrypted)
        #expect(d?.negotiated?.keyExchange == kex)
        #expect(d?.negotiated?.postQuantum == pq)
    }

    static let yaml = """
        scenario: pq
        nodes:
          edge: {role: edge, addresses: [10.0.0.1]}
        zones:
          cloud: {owner: customer, cidrs: [10.0.0.0/24]ZONE}
        encryption:
          post_quantum: {egress: EGRESS}
        """

    /// The findings of a fixture's flow (client 10.0.0.1, a node; server 10.0.0.2 in a
    /// customer zone: egress) under the scenario.
    static func findings(_ fixture: String?, egress: String = "required", zone: String = "") throws -> [Finding] {
        let text = yaml.replacingOccurrences(of: "EGRESS", with: egress).replacingOccurrences(of: "ZONE", with: zone)
        let c = Classifier(scenario: try ScenarioLoader.parse(text, source: "pq.yaml"))
        var facts = FlowFacts(client: CIDR("10.0.0.1/32")!.address, server: CIDR("10.0.0.2/32")!.address,
                              clientPort: 40_000, serverPort: 443, proto: IPProtocol.tcp, state: .encrypted)
        if let fixture {
            let (s, d) = try InspectorTests.replay(fixture)
            facts.state = s.state
            facts.keyExchange = d?.negotiated?.keyExchange
            facts.postQuantum = d?.negotiated?.postQuantum
        }
        return c.classify(facts).findings.filter { $0.code == "quantum-vulnerable-key-exchange" }
    }

    @Test func findingWhereRequiredAndClassical() throws {
        let tls = try Self.findings("tls13-x25519")
        #expect(tls.count == 1 && tls.first?.severity == .low && tls.first?.party == .customer)
        #expect(tls.first?.message.contains("negotiated x25519") == true)
        // The message names the flow's route (its zones), not an optional's description.
        let message = tls.first?.message ?? ""
        #expect(message.contains("cloud") && !message.contains("nil") && !message.contains("Optional"), "\(message)")
        let ssh = try Self.findings("ssh-curve25519")
        #expect(ssh.first?.message.contains("curve25519-sha256") == true)
        // Hybrid exchanges, an optional segment, and a flow whose handshake was not seen.
        #expect(try Self.findings("tls13-x25519mlkem768").isEmpty)
        #expect(try Self.findings("ssh-sntrup761").isEmpty)
        #expect(try Self.findings("tls13-x25519", egress: "optional").isEmpty)
        #expect(try Self.findings(nil).isEmpty)
    }

    /// A zone with `post_quantum: true` requires it of flows touching it, whatever the
    /// segment says.
    @Test func zoneRequiresPostQuantum() throws {
        #expect(try Self.findings("ssh-curve25519", egress: "optional", zone: ", post_quantum: true").count == 1)
        #expect(try Self.findings("ssh-curve25519", egress: "optional", zone: ", post_quantum: false").isEmpty)
    }

    /// Anything but required/optional per segment, or a boolean per zone, is a located error.
    @Test func badKeysAreLocatedErrors() {
        for (egress, zone, message) in [("always", "", "pq.yaml:7:"), ("required", ", post_quantum: maybe", "pq.yaml:5:")] {
            let text = Self.yaml.replacingOccurrences(of: "EGRESS", with: egress).replacingOccurrences(of: "ZONE", with: zone)
            do {
                _ = try ScenarioLoader.parse(text, source: "pq.yaml")
                Issue.record("accepted \(egress) \(zone)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        let unknownSegment = Self.yaml.replacingOccurrences(of: "egress: EGRESS", with: "everywhere: required")
            .replacingOccurrences(of: "ZONE", with: "")
        #expect(throws: (any Error).self) { try ScenarioLoader.parse(unknownSegment, source: "pq.yaml") }
    }

    /// `accept` and `expect` know the code.
    @Test func codeIsKnown() {
        #expect(ScenarioLoader.findingCodes.contains("quantum-vulnerable-key-exchange"))
    }
}

/// A ClientHello whose padding extension ends in a TCP segment of zeros of its own (as
/// in the nDPI corpus's codm and dingtalk captures): the zeros are the hello's last
/// bytes, not keep-alive padding, and the hello is read whole.
@Suite struct PaddedHelloTests {
    @Test func zeroSegmentEndingAHelloIsRead() throws {
        var ex = try InspectorTests.load("tls13-x25519")
        var hello = ex.payloads[0].bytes
        // Append a padding extension (type 21) of 5 zero bytes' body: 4 header bytes and 5
        // zeros, then fix the record, handshake and extensions lengths.
        let pad: [UInt8] = [0x00, 0x15, 0x00, 0x05, 0, 0, 0, 0, 0]
        func bump(_ at: Int, _ width: Int) {
            var v = 0
            for i in 0..<width { v = v << 8 | Int(hello[at + i]) }
            v += pad.count
            for i in 0..<width { hello[at + i] = UInt8((v >> (8 * (width - 1 - i))) & 0xff) }
        }
        bump(3, 2); bump(6, 3)
        var off = 5 + 4 + 2 + 32
        off += 1 + Int(hello[off])
        off += 2 + (Int(hello[off]) << 8 | Int(hello[off + 1]))
        off += 1 + Int(hello[off])
        bump(off, 2)
        hello += pad
        ex.payloads[0] = (true, Array(hello.dropLast(5)))
        ex.payloads.insert((true, Array(hello.suffix(5))), at: 1)
        let (_, d) = try InspectorTests.replay(ex, name: "tls13-x25519 padded")
        #expect(d?.sni == "pq.demarc.test")
        #expect(d?.negotiated?.ja4 != nil && d?.negotiated?.keyExchange == "x25519")
    }
}

/// JA4's parts that the recorded hellos do not reach (the whole fingerprint is compared
/// with PyPI's ja4plus by scripts/ja4-check.py, `make ja4-test`).
@Suite struct JA4Tests {
    /// The long lists' sort orders as the standard library's does, duplicates and the
    /// whole 16-bit range included.
    @Test func radixSortOrdersLongLists() {
        var rng = SystemRandomNumberGenerator()
        for n in [33, 34, 100, 257, 1000] {
            var values = (0..<n).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) }
            values[n / 2] = values[0]
            values[n - 1] = 0xffff
            var sorted = values
            sorted.withUnsafeMutableBufferPointer { JA4.radixSort($0) }
            #expect(sorted == values.sorted())
        }
    }

    @Test func alpnEnds() {
        #expect(JA4.alpn(nil) == "00")
        #expect(JA4.alpn(Array("h2".utf8)) == "h2")
        #expect(JA4.alpn(Array("http/1.1".utf8)) == "h1")
        #expect(JA4.alpn([0xba, 0xad]) == "99")
        #expect(JA4.alpn([0x68, 0x1f]) == "99")
        #expect(JA4.alpn(Array("x".utf8)) == "xx")
    }

    /// GREASE values are left out of counts and hashes; no cipher suites and no
    /// extensions hash to zeros.
    @Test func greaseAndEmptyLists() {
        var h = TLSHello.Hello()
        h.legacyVersion = 0x0303
        h.cipherSuites = [0x0a0a]
        h.extensions = [0x1a1a]
        #expect(JA4.fingerprint(h, transport: "t") == "t12i000000_000000000000_000000000000")
        h.cipherSuites = [0x1301, 0x2a2a]
        h.supportedVersions = [0x3a3a, 0x0304]
        h.extensions = [0x002b, 0x0000]
        h.sni = "example.test"
        let fp = JA4.fingerprint(h, transport: "q")
        #expect(fp.hasPrefix("q13d0102") && fp.split(separator: "_").count == 3)
    }

    /// A ClientHello body: version 0x0303, a zero random, no session id, then `rest`.
    static func helloBody(_ rest: [UInt8]) -> [UInt8] { [3, 3] + [UInt8](repeating: 0, count: 32) + [0] + rest }

    /// Hellos cut short, fingerprinted as ja4plus 1.4.0 fingerprints the same bytes
    /// (`generate_ja4(_parse_client_hello(...))`): the suites that start inside the
    /// message, no extensions; and marked not whole.
    @Test(arguments: [
        // Cipher suites' length (6) past the message's end (4 bytes of suites).
        ([0, 6, 0x13, 1, 0x13, 2] as [UInt8], "t12i020000_62ed6f6ca7ad_000000000000", false),
        // Odd length (3): the second suite's second byte is the compression length.
        ([0, 3, 0x13, 1, 0x13, 0, 0, 0], "t12i020000_7d4f24f38d1a_000000000000", true),
    ])
    func cutShort(_ rest: [UInt8], _ ja4: String, _ whole: Bool) throws {
        let body = JA4Tests.helloBody(rest)
        let hello = try #require(body.withUnsafeBytes { TLSHello.parse(Bytes($0), client: true, dtls: false) })
        #expect(JA4.fingerprint(hello, transport: "t") == ja4)
        #expect(hello.whole == whole)
    }

    /// A hello that ends inside its random: its version alone (ja4plus gives
    /// `t12i000000_000000000000_000000000000`); a ServerHello cut short gives nothing.
    @Test func endsInsideTheRandom() throws {
        let body: [UInt8] = [3, 3] + [UInt8](repeating: 0, count: 20)
        let hello = try #require(body.withUnsafeBytes { TLSHello.parse(Bytes($0), client: true, dtls: false) })
        #expect(JA4.fingerprint(hello, transport: "t") == "t12i000000_000000000000_000000000000")
        #expect(body.withUnsafeBytes { TLSHello.parse(Bytes($0), client: false, dtls: false) } == nil)
    }

    /// A fingerprint whose two hashes Python's hashlib gives for the lists' text
    /// ("1301,1302,c02f" and "000a,000d,002b_0403,0804"); the cache gives the same on a
    /// miss, on a hit, and for another list after it.
    @Test func cachedHashes() {
        var h = TLSHello.Hello()
        h.legacyVersion = 0x0303
        h.supportedVersions = [0x0304]
        h.cipherSuites = [0x1302, 0x1301, 0xc02f]
        h.extensions = [0x000a, 0x0000, 0x000d, 0x0010, 0x002b]
        h.signatureAlgorithms = [0x0403, 0x0804]
        h.firstALPN = Array("h2".utf8)
        let cache = JA4Cache(capacity: 2)
        let plain = JA4.fingerprint(h, transport: "t")
        // `d`: the server_name extension (0x0000) is present, though no name was read.
        #expect(plain == "t13d0305h2_40b44b994229_fbabbea27ee8")
        #expect(JA4.fingerprint(h, transport: "t", cache: cache) == plain)
        #expect(JA4.fingerprint(h, transport: "t", cache: cache) == plain)
        h.cipherSuites = [0x1301]
        #expect(JA4.fingerprint(h, transport: "t", cache: cache) == JA4.fingerprint(h, transport: "t"))
    }

    /// Hellos that differ from one seen before only in GREASE values, the order of
    /// their extensions, a second SNI or ALPN extension, the transport or the ALPN
    /// value: from the cache as without it, hit or miss.
    @Test func cachedFingerprintsMatchUncached() {
        var h = TLSHello.Hello()
        h.legacyVersion = 0x0303
        h.supportedVersions = [0x2a2a, 0x0304, 0x0303]
        h.cipherSuites = [0x3a3a, 0x1301, 0x1302, 0xc02b]
        h.extensions = [0x4a4a, 0x0000, 0x0010, 0x000a, 0x002b, 0x000d]
        h.signatureAlgorithms = [0x0403, 0x0804]
        h.firstALPN = Array("h2".utf8)
        let cache = JA4Cache(capacity: 4)
        var variants: [TLSHello.Hello] = [h]
        var v = h
        v.cipherSuites[0] = 0x5a5a
        v.extensions[0] = 0x6a6a
        variants.append(v)
        v.extensions = [0x002b, 0x000d, 0x0000, 0x000a, 0x0010]
        variants.append(v)
        v.extensions.append(0x0000)
        variants.append(v)
        v.extensions.append(0x0010)
        variants.append(v)
        v.firstALPN = Array("http/1.1".utf8)
        variants.append(v)
        v.extensions = v.extensions.filter { $0 != 0x0000 }
        variants.append(v)
        for _ in 0..<2 {
            for hello in variants {
                for transport: Unicode.Scalar in ["t", "q"] {
                    #expect(JA4.fingerprint(hello, transport: transport, cache: cache) == JA4.fingerprint(hello, transport: transport))
                }
            }
        }
    }
}
