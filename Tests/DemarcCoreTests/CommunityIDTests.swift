import Testing
@testable import DemarcDecode
@testable import DemarcFlows
@testable import DemarcReport

/// Community ID of flows built from real frames, against values PyPI's `communityid`
/// 1.5.0 (the reference implementation) gives for the same tuples; make siem-test
/// compares every flow of every capture the same way.
@Suite struct CommunityIDTests {
    static func id(_ frames: [[UInt8]]) throws -> String? {
        let h = FlowHarness()
        for (i, f) in frames.enumerated() { h.feed(f, at: 1_000_000 + Int64(i) * 1000) }
        let flows = h.finishAll()
        #expect(flows.count == 1)
        return try #require(flows.first).0.communityIDText
    }

    static func icmp4(_ src: String, _ dst: String, type: UInt8, code: UInt8) -> [UInt8] {
        PacketFactory.ethernet(0x0800, PacketFactory.ipv4(src: src, dst: dst, proto: 1, body: [type, code, 0, 0, 0, 1, 0, 1]))
    }

    @Test func tcpIsTheSameBothWays() throws {
        let syn = PacketFactory.tcp4("128.232.110.120", 34855, "66.35.250.204", 80, flags: TCPFlags.syn)
        let synAck = PacketFactory.tcp4("66.35.250.204", 80, "128.232.110.120", 34855, flags: TCPFlags.syn | TCPFlags.ack)
        #expect(try Self.id([syn, synAck]) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        #expect(try Self.id([synAck]) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
    }

    @Test func udpOverIPv6() throws {
        let body = PacketFactory.udp(sport: 53, dport: 40000, payload: [1, 2, 3, 4])
        let frame = PacketFactory.ethernet(0x86dd, PacketFactory.ipv6(src: "fe80::200:86ff:fe05:80da", dst: "fe80::260:97ff:fe07:69ea",
                                                                       next: 17, body: body))
        #expect(try Self.id([frame]) == "1:6b4vhD4VC5Q/nVNQfoerxk7U+p0=")
    }

    /// Echo request and reply pair up: either seen first gives one ID. A destination
    /// unreachable is one-way: its first packet's direction, type and code are hashed.
    @Test func icmpHashesTheFirstPacketsTypeAndCode() throws {
        let request = Self.icmp4("192.168.0.89", "192.168.0.1", type: 8, code: 0)
        let reply = Self.icmp4("192.168.0.1", "192.168.0.89", type: 0, code: 0)
        #expect(try Self.id([request, reply]) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        #expect(try Self.id([reply]) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        let unreachable = Self.icmp4("192.168.0.1", "192.168.0.89", type: 3, code: 1)
        #expect(try Self.id([unreachable, request]) == "1:o3zT92uTgnRWv/YrDVeXcWumpC4=")
        #expect(try Self.id([Self.icmp4("192.168.0.89", "192.168.0.1", type: 3, code: 1)]) == "1:LXCfhMUFbYXe+CEMrQuZCbiLY3o=")
    }

    @Test func icmpv6NeighbourSolicitation() throws {
        let frame = PacketFactory.ethernet(0x86dd, PacketFactory.ipv6(src: "fe80::200:86ff:fe05:80da", dst: "fe80::260:97ff:fe07:69ea",
                                                                       next: 58, body: [135, 0, 0, 0, 0, 0, 0, 0]))
        #expect(try Self.id([frame]) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=")
    }

    @Test func protocolsWithoutPortsHashAddressesAndProtocol() throws {
        let gre = PacketFactory.ethernet(0x0800, PacketFactory.ipv4(src: "10.0.0.2", dst: "10.0.0.1", proto: 47, body: [0, 0, 8, 0]))
        #expect(try Self.id([gre]) == "1:+KlEHDT0vJgzs/eNmzHq0aSpRYw=")
    }

    /// Later fragments whose first fragment never came: no ports, no tuple, no ID.
    @Test func orphanFragmentsHaveNone() throws {
        let later = PacketFactory.ethernet(0x0800, PacketFactory.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17,
                                                                       body: [UInt8](repeating: 7, count: 16), id: 9, fragment: 185))
        #expect(try Self.id([later]) == nil)
    }
}

extension FlowState {
    var communityIDText: String? { CommunityID(flow: self)?.text }
}
