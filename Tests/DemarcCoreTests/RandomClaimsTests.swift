import Foundation
import Testing
@testable import DemarcDecode
@testable import DemarcInspect

/// Inspectors against random bytes, what ciphertext looks like: a protocol named on them
/// gives an encrypted flow that protocol's verdict. `make random-claims` measures every
/// inspector over 200,000 flows; these pin the checks that brought the ones below down.
@Suite struct RandomClaimsTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func keccak(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { Keccak256.digest(Bytes($0), from: 0, length: bytes.count) }
    }

    /// Keccak-256's published digests of "" and "abc", and, for the padding at and past
    /// one 136-byte block, digests computed with pycryptodome 3.21.0's `Crypto.Hash.keccak`.
    @Test func keccakDigests() {
        #expect(Self.hex(Self.keccak([])) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Self.hex(Self.keccak(Array("abc".utf8))) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(Self.hex(Self.keccak([UInt8](repeating: 0x61, count: 136)))
                == "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e")
        #expect(Self.hex(Self.keccak([UInt8](repeating: 0x61, count: 200)))
                == "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d")
    }

    /// A node discovery v4 ping (devp2p's discv4 specification: hash, signature with its
    /// recovery id, packet type 1, the RLP list [4, [], [], expiration]) is Ethereum's
    /// while its hash covers the rest, and nobody's once a byte of the hash is changed.
    @Test func discoveryPacketsNeedTheirHash() throws {
        var rng = SplitMix(seed: 0xe7_4e0)
        let signature = (0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) } + [1]
        let body = signature + [0x01, 0xc8, 0x04, 0xc0, 0xc0, 0x84, 0x65, 0x00, 0x00, 0x00]
        let packet = Self.keccak(body) + body
        let s = try #require(InspectorTests.single(packet, port: 30303, udp: true))
        #expect(s.app == .ethereum && s.state == .cleartext)
        var forged = packet
        forged[5] ^= 0x01
        #expect(InspectorTests.single(forged, port: 30303, udp: true)?.app != .ethereum)
    }

    /// NTP messages of each kind, laid out as their specifications say: an NTPv4 client
    /// request (RFC 5905), a mode 6 read-variables request (RFC 9327), and ntpdc's mode 7
    /// request for the monitor list, with and without the zeros it is padded with.
    @Test func ntpMessagesOfEveryMode() {
        let client = [0x23] + [UInt8](repeating: 0, count: 47)
        let control: [UInt8] = [0x16, 0x02, 0x00, 0x01] + [UInt8](repeating: 0, count: 8)
        let monlist: [UInt8] = [0x17, 0x00, 0x03, 0x2a, 0x00, 0x00, 0x00, 0x00]
        for p in [client, control, monlist, monlist + [UInt8](repeating: 0, count: 40)] {
            #expect(InspectorTests.single(p, port: 123, udp: true)?.app == .ntp, "\(Self.hex(p))")
        }
        // A stratum of 17 and a root delay of a thousand seconds are not NTP's.
        var wrong = client
        wrong[1] = 17
        #expect(InspectorTests.single(wrong, port: 123, udp: true)?.app != .ntp)
        wrong = client
        wrong[5] = 0x03
        wrong[4] = 0x03
        #expect(InspectorTests.single(wrong, port: 123, udp: true)?.app != .ntp)
    }

    /// Random payloads on each protocol's own port (or any port, for those recognised
    /// anywhere): the share each names stays under half a percent. Before these checks NTP
    /// named 35 % of them, CoAP 10 %, LISP and DHCPv6 6 %, IAX2 3 %.
    @Test(arguments: [
        (AppProtocol.ntp, UInt16(123), true), (.dhcpv6, 546, true), (.dhcpv6, 547, true), (.coap, 5683, true),
        (.lisp, 4341, true), (.lisp, 4342, true), (.netbios, 138, true), (.netbios, 139, false), (.iax2, 4569, true),
        (.openflow, 6653, false), (.kerberos, 88, true), (.kerberos, 88, false), (.telnet, 23, false),
        (.websocket, 45_000, false), (.dnp3, 20_000, false), (.dnp3, 20_000, true), (.flute, 45_000, true),
        (.ethereum, 30303, true),
    ])
    func randomBytesOnTheProtocolsPort(_ app: AppProtocol, _ port: UInt16, _ udp: Bool) {
        var rng = SplitMix(seed: 0x5eed_0021 ^ UInt64(port))
        let tries = 2000
        var named = 0
        for _ in 0..<tries {
            // Lengths as random-claims.py draws them: short, middling and long.
            let r = rng.next() % 10
            let length = r < 3 ? 1 + Int(rng.next() % 40) : r < 7 ? 41 + Int(rng.next() % 260) : 301 + Int(rng.next() % 1100)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if InspectorTests.single(bytes, port: port, udp: udp)?.app == app { named += 1 }
        }
        #expect(named * 200 <= tries, "\(app.name) on \(udp ? "UDP" : "TCP") \(port): \(named) of \(tries)")
    }
}
