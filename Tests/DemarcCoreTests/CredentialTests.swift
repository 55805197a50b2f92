import Foundation
import Testing
@testable import DemarcCore
@testable import DemarcDecode
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

/// Cleartext credentials (SCENARIO.md) from the recorded logins of real clients: the
/// kind and user are reported, the secret never is, in any format.
@Suite struct CredentialTests {
    @Test(arguments: [
        ("ftp", "ftp alice"), ("pop3", "pop3 alice"), ("imap", "imap alice"),
        ("ldap", "ldap-simple cn=admin,dc=demarc,dc=test"), ("snmp", "snmp-community -"),
        ("postgresql-password", "postgresql demarc"), ("postgresql-plain", ""), ("postgresql-tls", ""),
        ("smtp-starttls", ""), ("http", ""), ("redis", ""), ("irc", ""), ("telnet", ""), ("rlogin", ""), ("mysql", ""),
        // Real servers without a reusable secret in clear: anonymous FTP, and AUTHENTICATE
        // PLAIN sent after STARTTLS.
        ("ftp-vsftpd-anonymous", ""), ("imap-dovecot-starttls", ""),
    ] + realServers)
    func credentialsOfRecordedLogins(_ name: String, _ expected: String) throws {
        let (_, d) = try InspectorTests.replay(name)
        let got = (d?.credentials ?? []).map { "\($0.kind.rawValue) \($0.user ?? "-")" }.joined(separator: "; ")
        #expect(got == expected, "\(name)")
    }

    /// Logins between real clients and real servers (scripts/fixtures/credential_servers.py),
    /// one or more of every kind SCENARIO.md lists, and what each must report.
    static let realServers: [(String, String)] = [
        ("ftp-vsftpd", "ftp alice"), ("http-basic-nginx", "http-basic alice"), ("pop3-dovecot", "pop3 alice"),
        ("imap-dovecot", "imap alice"), ("imap-dovecot-sasl-plain", "sasl-plain alice"),
        ("smtp-dovecot-auth-plain", "sasl-plain alice"), ("smtp-dovecot-auth-login", "sasl-login alice"),
        ("snmp-snmpd", "snmp-community -"), ("ldap-slapd", "ldap-simple cn=admin,dc=demarc,dc=test"),
        ("telnet-telnetd", "telnet alice"), ("rlogin-rlogind", "rlogin alice"), ("redis-requirepass", "redis -"),
        ("redis-acl", "redis alice"), ("irc-ngircd", "irc alice"), ("mysql-clear-password", "mysql-clear alice"),
        ("postgresql-password", "postgresql demarc"),
    ]

    @Test func everyKindHasARealServerFixture() {
        let kinds = Set(Self.realServers.map { String($0.1.prefix { $0 != " " }) })
        let all: [Credential.Kind] = [.httpBasic, .ftp, .pop3, .imap, .saslPlain, .saslLogin, .telnet, .rlogin, .ldapSimple,
                                      .snmpCommunity, .postgresql, .mysqlClear, .redis, .irc]
        #expect(Set(all.map(\.rawValue)) == kinds)
    }

    /// SASL and HTTP Basic as clients send them (the credentials of RFC 4616's and RFC
    /// 7617's examples).
    @Test func saslAndBasic() throws {
        func flow(_ port: UInt16, _ lines: [(Bool, String)]) throws -> [String] {
            var ex = InspectorTests.Exchange(transport: "tcp", port: port, payloads: lines.map { ($0.0, Array($0.1.utf8)) })
            ex.application = "x"
            let (_, d) = try InspectorTests.replay(ex, name: "synthetic")
            return (d?.credentials ?? []).map { "\($0.kind.rawValue) \($0.user ?? "-")" }
        }
        // RFC 4616: "\0tim\0tanstaaftanstaaf".
        #expect(try flow(25, [(false, "220 mail ESMTP\r\n"), (true, "EHLO x\r\n"), (true, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")])
                == ["sasl-plain tim"])
        #expect(try flow(25, [(false, "220 mail ESMTP\r\n"), (true, "AUTH LOGIN\r\n"), (false, "334 VXNlcm5hbWU6\r\n"),
                              (true, "dGlt\r\n"), (false, "334 UGFzc3dvcmQ6\r\n"), (true, "dGFuc3RhYWY=\r\n")]) == ["sasl-login tim"])
        // RFC 7617: Aladdin:open sesame.
        #expect(try flow(80, [(true, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n")])
                == ["http-basic Aladdin"])
        // The usual browser exchange: a request, the 401 challenge, the retry with credentials.
        #expect(try flow(80, [(true, "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"),
                              (false, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n"),
                              (true, "GET /admin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n")])
                == ["http-basic Aladdin"])
        // A 200 ends the watch: later requests are not read.
        #expect(try flow(80, [(true, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), (false, "HTTP/1.1 200 OK\r\n\r\n"),
                              (true, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n")]).isEmpty)
        #expect(try flow(21, [(false, "220 ftp ready\r\n"), (true, "USER anonymous\r\n"), (true, "PASS guest@\r\n")]).isEmpty)
        #expect(try flow(6379, [(true, "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\nsecret\r\n")]) == ["redis alice"])
    }

    /// The recorded secret ("secret" in every fixture), its base64 and its hex never reach
    /// a report, in any format.
    @Test(arguments: ReportFormat.allCases)
    func theSecretNeverLeaks(_ format: ReportFormat) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-secret-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("report.\(format.rawValue)").path
        let output = try Output(path: path)
        let writer = format.makeWriter(output: output)
        let classifier = Classifier(scenario: .builtIn, asOfDay: 20_000)
        var header = ReportHeader(scenarioName: "default", scenarioSource: "built-in")
        writer.begin(header)
        var id: UInt64 = 0
        for name in ["ftp", "pop3", "imap", "ldap", "snmp"] + Self.realServers.map(\.0) {
            let h = FlowHarness()
            let ex = try InspectorTests.load(name)
            _ = try InspectorTests.replay(ex, name: name)
            // Replay again through a harness whose flow we keep, to build its report record.
            var t: Int64 = 1_000_000
            for p in ex.payloads {
                t += 1000
                let frame = ex.transport == "udp"
                    ? (p.toServer ? PacketFactory.udp4("10.0.0.1", 40_000, "10.0.0.2", ex.port, payload: p.bytes)
                                  : PacketFactory.udp4("10.0.0.2", ex.port, "10.0.0.1", 40_000, payload: p.bytes))
                    : (p.toServer ? PacketFactory.tcp4("10.0.0.1", 40_000, "10.0.0.2", ex.port, flags: TCPFlags.ack | TCPFlags.psh, seq: UInt32(t), payload: p.bytes)
                                  : PacketFactory.tcp4("10.0.0.2", ex.port, "10.0.0.1", 40_000, flags: TCPFlags.ack | TCPFlags.psh, seq: UInt32(t), payload: p.bytes))
                h.feed(frame, at: t)
            }
            for (f, d) in h.finishAll() {
                var r = Verdict(classifier).record(f, d)
                id += 1
                r.id = id
                #expect(r.credentials?.isEmpty == false, "\(name) carries a credential")
                #expect(r.findings.contains { $0.code == "cleartext-credentials" && $0.severity == .critical }, "\(name)")
                header.summary.add(r)
                writer.flow(r)
            }
        }
        writer.finish(header)
        try output.commit()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // The crypto inventory lists no findings; the secret must stay out of it all the same.
        if format != .cbom { #expect(text.contains("cleartext-credentials")) }
        for secret in ["secret", "c2VjcmV0", "736563726574", "public", "cHVibGlj", "7075626c6963"] {
            #expect(!text.contains(secret), "\(format.rawValue) shows \(secret)")
        }
    }
}
