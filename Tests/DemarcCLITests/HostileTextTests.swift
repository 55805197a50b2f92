import Foundation
import Testing

/// Text that traffic, a scenario or a file name carries never acts on the reader: no
/// control character from them reaches a human format or standard error, and no HTML
/// from them reaches the markdown report unescaped. A TLS server's certificate is read
/// however long the client's hello is, and where it cannot be read on the data plane
/// that `customer_ca` governs, a finding says so.
@Suite struct HostileTextTests {
    static let edge: [UInt8] = [10, 0, 0, 1], gateway: [UInt8] = [10, 0, 0, 2]
    /// A user name that moves the cursor, retitles the terminal, clears the screen and
    /// would open a table row and run a script in a Markdown renderer.
    static let user = "x\u{1b}]0;PWNED\u{07}\u{1b}[2J</td></tr><tr><script>alert(1)</script>"
    static let subject = "<img src=x onerror=alert(1)>"

    static let scenario = """
        scenario: "hostile <img src=x onerror=alert(2)>"
        provider: Test
        nodes:
          edge-1: {role: edge, addresses: [10.0.0.1]}
          gw-1: {role: gateway, addresses: [10.0.0.2]}
        zones:
          internet: {owner: external, cidrs: [0.0.0.0/0]}
        encryption:
          customer_ca: {issuer: "CN=Acme Data Plane CA"}

        """

    /// A self-signed certificate (DER) whose subject and issuer are `subject`.
    static func certificate() throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let der = dir.appendingPathComponent("c.der").path
        _ = try CLI.output(of: "/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                                    "-nodes", "-keyout", dir.appendingPathComponent("k.pem").path,
                                                    "-subj", "/CN=\(subject)", "-days", "2", "-outform", "DER", "-out", der])
        return Array(try Data(contentsOf: URL(fileURLWithPath: der)))
    }

    static func u24(_ n: Int) -> [UInt8] { [UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] }

    /// Handshake messages in TLS records of at most 16 KB.
    static func records(_ handshake: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], off = 0
        while off < handshake.count {
            let n = min(16_384, handshake.count - off)
            out += [0x16, 0x03, 0x03] + Frames.be16(UInt16(n)) + handshake[off..<(off + n)]
            off += n
        }
        return out
    }

    /// A ClientHello padded (RFC 7685) to about `size` bytes.
    static func clientHello(size: Int) -> [UInt8] {
        let pad = size - 60
        let ext: [UInt8] = [0x00, 0x15] + Frames.be16(UInt16(pad)) + [UInt8](repeating: 0, count: pad)
        let body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0] + [0, 2, 0xc0, 0x2f] + [1, 0]
            + Frames.be16(UInt16(ext.count)) + ext
        return records([1] + u24(body.count) + body)
    }

    /// The server's TLS 1.2 flight: ServerHello, Certificate (`copies` of the certificate),
    /// ServerHelloDone.
    static func serverFlight(_ cert: [UInt8], copies: Int) -> [UInt8] {
        let hello: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 9, count: 32) + [0] + [0xc0, 0x2f] + [0] + [0, 0]
        var list: [UInt8] = []
        for _ in 0..<copies { list += u24(cert.count) + cert }
        let certificate = u24(list.count) + list
        return records([2] + u24(hello.count) + hello + [11] + u24(certificate.count) + certificate + [14, 0, 0, 0])
    }

    /// One TCP connection: handshake, then each side's bytes in 1,400-byte segments.
    static func connection(port: UInt16, client: [UInt8], server: [UInt8]) -> [[UInt8]] {
        let sport: UInt16 = 40_000 + port % 1000
        var frames = [Frames.tcp(edge, sport, gateway, port, flags: 0x02, seq: 0),
                      Frames.tcp(gateway, port, edge, sport, flags: 0x12, seq: 1000)]
        func segments(_ bytes: [UInt8], from: Bool, seq: UInt32) {
            var off = 0
            while off < bytes.count {
                let n = min(1400, bytes.count - off)
                let payload = Array(bytes[off..<(off + n)])
                frames.append(from ? Frames.tcp(edge, sport, gateway, port, flags: 0x18, seq: seq + UInt32(off), payload: payload)
                                   : Frames.tcp(gateway, port, edge, sport, flags: 0x18, seq: seq + UInt32(off), payload: payload))
                off += n
            }
        }
        segments(client, from: true, seq: 1)
        segments(server, from: false, seq: 1001)
        return frames
    }

    static func capture() throws -> String {
        let cert = try certificate()
        let basic = Data((user + ":pw").utf8).base64EncodedString()
        let request = Array("GET / HTTP/1.1\r\nHost: gw-1\r\nAuthorization: Basic \(basic)\r\n\r\n".utf8)
        let frames = connection(port: 443, client: clientHello(size: 50_000), server: serverFlight(cert, copies: 1))
            + connection(port: 8443, client: clientHello(size: 300), server: serverFlight(cert, copies: 250))
            + connection(port: 80, client: request, server: Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
        return try CLI.temp("hostile-text.pcap", Frames.pcap(frames))
    }

    static func run(_ format: String, capture: String, scenario: String) throws -> CLI.Result {
        try CLI.run(["replay", capture, "--scenario", scenario, "--format", format, "--no-progress"])
    }

    /// No control character but line breaks (CR only before LF, for csv) and tabs.
    static func controls(_ s: String) -> [UInt32] {
        let scalars = Array(s.unicodeScalars)
        return scalars.indices.compactMap { i in
            let v = scalars[i].value
            if v == 0x0a || v == 0x09 { return nil }
            if v == 0x0d && i + 1 < scalars.count && scalars[i + 1].value == 0x0a { return nil }
            return v < 0x20 || (0x7f...0x9f).contains(v) ? v : nil
        }
    }

    @Test func certificateIsReadAfterAPaddedHelloAndNeverMissedSilently() throws {
        let capture = try Self.capture(), scenario = try CLI.temp("hostile-text.yaml", text: Self.scenario)
        let r = try Self.run("jsonl", capture: capture, scenario: scenario)
        #expect(r.status == 0, "\(r.stderr)")
        let flows = r.stdout.split(separator: "\n").compactMap { CLI.json(String($0)) }.filter { $0["type"] as? String == "flow" }
        func flow(_ port: Int) -> [String: Any]? { flows.first { ($0["server"] as? [String: Any])?["port"] as? Int == port } }
        func codes(_ f: [String: Any]?) -> [String] { (f?["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
        // A 50 KB hello (36 segments): the certificate after it is read and judged.
        let padded = flow(443)
        let enc = padded?["encryption"] as? [String: Any]
        #expect((enc?["certificate"] as? [String: Any])?["issuer"] as? String == "CN=\\<img src=x onerror=alert(1)\\>")
        #expect(enc?["version"] as? String == "TLS 1.2")
        #expect(codes(padded) == ["customer-ca-not-used"])
        // A chain past the parser's bounds: not seen, and a finding says why.
        let long = flow(8443)
        #expect((long?["encryption"] as? [String: Any])?["certificate"] is NSNull)
        #expect(codes(long) == ["certificate-not-visible"])
        let message = (long?["findings"] as? [[String: Any]])?.first?["message"] as? String ?? ""
        #expect(message.contains("not read to the end"), "\(message)")
        // The credential's user name is kept as sent in the machine format.
        let creds = flow(80)?["credentials"] as? [[String: Any]]
        #expect(creds?.first?["user"] as? String == Self.user)
    }

    @Test(arguments: ["table", "markdown", "csv", "html"])
    func noControlCharacterFromTheWireReachesAHumanFormat(_ format: String) throws {
        let capture = try Self.capture(), scenario = try CLI.temp("hostile-text.yaml", text: Self.scenario)
        let r = try Self.run(format, capture: capture, scenario: scenario)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.controls(r.stdout).isEmpty, "\(Self.controls(r.stdout))")
        #expect(Self.controls(r.stderr).isEmpty)
        // The user name is still there to read, its controls written out.
        #expect(r.stdout.contains("\\x1b]0;PWNED\\x07\\x1b[2J"), "\(r.stdout.prefix(3000))")
    }

    @Test func markdownCarriesNoHTMLFromTheWireOrTheScenario() throws {
        let capture = try Self.capture(), scenario = try CLI.temp("hostile-text.yaml", text: Self.scenario)
        let r = try Self.run("markdown", capture: capture, scenario: scenario)
        #expect(r.status == 0)
        for raw in ["<script", "<img", "</td>", "<tr>"] { #expect(!r.stdout.contains(raw), "\(raw)") }
        #expect(r.stdout.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(r.stdout.contains("&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;&lt;script&gt;"))
    }

    /// A file name with controls is shown escaped on standard error and in the report.
    @Test func fileNamesAreShownEscaped() throws {
        let bytes = Frames.pcap(Frames.sample)
        let name = try CLI.temp("cut\u{1b}[2J\u{9b}31m.pcap", Array(bytes.dropLast(7)))
        for format in ["table", "markdown"] {
            let r = try CLI.run(["replay", name, "--format", format, "--no-progress"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("cut\\x1b[2J\\x9b31m.pcap: capture is cut off"), "\(r.stderr)")
            #expect(Self.controls(r.stderr).isEmpty && Self.controls(r.stdout).isEmpty)
        }
    }
}
