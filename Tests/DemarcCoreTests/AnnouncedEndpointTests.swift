import Foundation
import Testing
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcInspect
@testable import DemarcFlows

/// FTP data connections, named by their control connection's announcements
/// (`AnnouncedEndpoints`): the control connection is a real one (Fixtures/
/// ftp-data-announced.txt, Python's ftplib against pyftpdlib, announcing by PASV, EPSV,
/// PORT and EPRT), the data connections carry a file's bytes, which have no framing.
@Suite struct AnnouncedEndpointTests {
    static let client = "10.0.0.1", server = "10.0.0.2", third = "10.0.0.3"

    /// The ports the fixture's control connection announces, read here from its text:
    /// (port, true when it is on the server's host).
    static func announced(_ ex: InspectorTests.Exchange) -> [(UInt16, Bool)] {
        var out: [(UInt16, Bool)] = []
        for p in ex.payloads {
            let line = String(decoding: p.bytes, as: UTF8.self)
            if line.hasPrefix("227 "), let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")") {
                let n = line[line.index(after: open)..<close].split(separator: ",").compactMap { UInt16($0) }
                out.append((n[4] << 8 | n[5], true))
            } else if line.hasPrefix("229 ") {
                out.append((UInt16(line.split(separator: "|")[1])!, true))
            } else if line.hasPrefix("PORT ") {
                let n = line.dropFirst(5).split(separator: ",").map { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
                out.append((n[4] << 8 | n[5], false))
            } else if line.hasPrefix("EPRT ") {
                out.append((UInt16(line.split(separator: "|")[3])!, false))
            }
        }
        return out
    }

    /// A TCP connection from `from`:`sport` to `to`:`dport`, handshake first, then
    /// `payload` from the side that listens (a file sent to the other end), if any.
    static func connection(_ h: FlowHarness, _ from: String, _ sport: UInt16, _ to: String, _ dport: UInt16,
                           payload: [UInt8], at t: inout Int64) {
        func next() -> Int64 { t += 1000; return t }
        h.feed(PacketFactory.tcp4(from, sport, to, dport, flags: TCPFlags.syn, seq: 99), at: next())
        h.feed(PacketFactory.tcp4(to, dport, from, sport, flags: TCPFlags.syn | TCPFlags.ack, seq: 499), at: next())
        h.feed(PacketFactory.tcp4(from, sport, to, dport, flags: TCPFlags.ack, seq: 100), at: next())
        if !payload.isEmpty {
            h.feed(PacketFactory.tcp4(to, dport, from, sport, flags: TCPFlags.ack | TCPFlags.psh, seq: 500, payload: payload), at: next())
        }
    }

    /// Plays the control connection, then `data` for each announced port, and returns
    /// every flow's end state by its server port.
    /// With `noops`, that many NOOP commands and their replies (RFC 959 section 4.1.3,
    /// "200 Command okay.") come after the login, before the first announcement.
    /// With `midSession`, the capture starts at the first PASV reply, after the greeting
    /// and login, and that reply shares its segment with a reply before it.
    static func play(noops: Int = 0, midSession: Bool = false,
                     _ data: (FlowHarness, [(UInt16, Bool)], inout Int64) -> Void) throws -> [(FlowState, String)] {
        var ex = try InspectorTests.load("ftp-data-announced")
        let noop: [(toServer: Bool, bytes: [UInt8])] = [(true, Array("NOOP\r\n".utf8)), (false, Array("200 Command okay.\r\n".utf8))]
        ex.payloads.insert(contentsOf: Array(repeating: noop, count: noops).flatMap { $0 }, at: 5)
        let ports = announced(ex)
        try #require(ports.count == 4)
        if midSession {
            let pasv = try #require(ex.payloads.firstIndex { $0.bytes.starts(with: Array("227 ".utf8)) })
            ex.payloads = Array(ex.payloads[pasv...])
            ex.payloads[0].bytes = Array("200 Command okay.\r\n".utf8) + ex.payloads[0].bytes
        }
        let h = FlowHarness()
        var t: Int64 = 1_000_000
        func next() -> Int64 { t += 1000; return t }
        var cseq: UInt32 = 1000, sseq: UInt32 = 5000
        h.feed(PacketFactory.tcp4(client, 40_000, server, 21, flags: TCPFlags.syn, seq: cseq - 1), at: next())
        h.feed(PacketFactory.tcp4(server, 21, client, 40_000, flags: TCPFlags.syn | TCPFlags.ack, seq: sseq - 1), at: next())
        for p in ex.payloads {
            if p.toServer {
                h.feed(PacketFactory.tcp4(client, 40_000, server, 21, flags: TCPFlags.ack | TCPFlags.psh, seq: cseq, payload: p.bytes), at: next())
                cseq &+= UInt32(p.bytes.count)
            } else {
                h.feed(PacketFactory.tcp4(server, 21, client, 40_000, flags: TCPFlags.ack | TCPFlags.psh, seq: sseq, payload: p.bytes), at: next())
                sseq &+= UInt32(p.bytes.count)
            }
        }
        data(h, ports, &t)
        return h.finishAll().map { f in
            (f.0, "\(f.0.inspect.app == .unknown ? "null" : f.0.inspect.app.name) \(f.0.inspect.state.name)")
        }
    }

    static let file = Array("hello from demarc's FTP fixture\r\n".utf8)

    /// Each announced port's connection is FTP data in clear, whichever side listens.
    @Test func announcedConnectionsAreFTPData() throws {
        let flows = try Self.play { h, ports, t in
            for (i, (port, onServer)) in ports.enumerated() {
                if onServer {
                    Self.connection(h, Self.client, 41_000 + UInt16(i), Self.server, port, payload: Self.file, at: &t)
                } else {
                    Self.connection(h, Self.server, 20, Self.client, port, payload: Self.file, at: &t)
                }
            }
        }
        #expect(flows.count == 5)
        #expect(flows[0].1 == "ftp cleartext")
        for f in flows.dropFirst() {
            #expect(f.1 == "ftpdata cleartext")
            #expect(f.0.inspect.basis == .protocol)
        }
    }

    /// A long session's later transfers are announced past the usual follow budget.
    @Test func laterTransfersOfALongSessionAreFTPData() throws {
        let flows = try Self.play(noops: 60) { h, ports, t in
            Self.connection(h, Self.client, 41_000, Self.server, ports[0].0, payload: Self.file, at: &t)
        }
        #expect(flows.map(\.1) == ["ftp cleartext", "ftpdata cleartext"])
    }

    /// A control connection picked up after its login is still FTP on its port, and its
    /// announcements still count, a reply sharing their segment or not.
    @Test func controlConnectionPickedUpMidSession() throws {
        let flows = try Self.play(midSession: true) { h, ports, t in
            for (i, (port, onServer)) in ports.enumerated() {
                if onServer {
                    Self.connection(h, Self.client, 41_000 + UInt16(i), Self.server, port, payload: Self.file, at: &t)
                } else {
                    Self.connection(h, Self.server, 20, Self.client, port, payload: Self.file, at: &t)
                }
            }
        }
        #expect(flows.map(\.1) == ["ftp cleartext"] + Array(repeating: "ftpdata cleartext", count: 4))
    }

    /// A data connection that carries nothing has no verdict, only its protocol.
    @Test func emptyDataConnectionStaysUnknown() throws {
        let flows = try Self.play { h, ports, t in
            Self.connection(h, Self.client, 41_000, Self.server, ports[0].0, payload: [], at: &t)
        }
        #expect(flows.map(\.1) == ["ftp cleartext", "ftpdata unknown"])
    }

    /// Not announced: another port between the same hosts, the announced port from a
    /// third host, or the announced port once the announcement has expired.
    @Test func unannouncedConnectionsAreNot() throws {
        let flows = try Self.play { h, ports, t in
            Self.connection(h, Self.client, 41_000, Self.server, ports[0].0 &+ 1, payload: Self.file, at: &t)
            Self.connection(h, Self.third, 41_001, Self.server, ports[0].0, payload: Self.file, at: &t)
            t += AnnouncedEndpoints.lifetime + 1
            Self.connection(h, Self.client, 41_002, Self.server, ports[1].0, payload: Self.file, at: &t)
        }
        #expect(flows.count == 4)
        for f in flows.dropFirst() { #expect(f.0.inspect.app != .ftpdata) }
    }

    /// Each announcement's port, as the FTP inspector reads it (RFC 959 4.1.2 and 4.2.2,
    /// RFC 2428 sections 2 and 3), and messages that announce nothing.
    @Test func dataPorts() {
        func port(_ s: String, fromClient: Bool) -> UInt16? {
            Array(s.utf8).withUnsafeBytes { FTPInspector.dataPort(Bytes($0), fromClient: fromClient) }
        }
        #expect(port("227 Entering Passive Mode (192,168,1,2,19,137).\r\n", fromClient: false) == 5001)
        #expect(port("227 Entering Passive Mode 192,168,1,2,19,137\r\n", fromClient: false) == 5001)
        #expect(port("229 Entering Extended Passive Mode (|||6446|)\r\n", fromClient: false) == 6446)
        #expect(port("PORT 132,235,1,2,24,131\r\n", fromClient: true) == 6275)
        #expect(port("EPRT |2|1080::8:800:200C:417A|5282|\r\n", fromClient: true) == 5282)
        #expect(port("227 Entering Passive Mode (192,168,1,2,300,1).\r\n", fromClient: false) == nil)
        #expect(port("229 Entering Extended Passive Mode (|||99999|)\r\n", fromClient: false) == nil)
        #expect(port("PORT 1,2,3\r\n", fromClient: true) == nil)
        #expect(port("227 Entering Passive Mode (192,168,1,2,19,137).\r\n", fromClient: true) == nil)
        #expect(port("200 PORT command successful\r\n", fromClient: false) == nil)
    }
}
