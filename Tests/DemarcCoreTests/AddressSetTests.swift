import Testing
@testable import DemarcDecode
@testable import DemarcScenario

/// A rule's address list, indexed, answers as the list tried entry by entry does.
@Suite struct AddressSetTests {
    struct Rng { var s: UInt64; mutating func next() -> UInt64 { s = s &* 6364136223846793005 &+ 1442695040888963407; return s >> 11 } }

    static func address(_ r: inout Rng) -> IPAddress {
        // Few distinct values, so prefixes and addresses meet often; both families.
        if r.next() % 3 == 0 {
            return IPAddress(hi: 0x2001_0db8_0000_0000 | (r.next() % 4) << 16, lo: r.next() % 8)
        }
        return IPAddress(v4: UInt32(10 << 24) | UInt32(r.next() % 4) << 16 | UInt32(r.next() % 4) << 8 | UInt32(r.next() % 16))
    }

    @Test func indexedAgreesWithTheList() {
        var r = Rng(s: 7)
        for _ in 0..<300 {
            let n = Int(r.next() % 40)
            var list: [AddressMatch] = []
            for _ in 0..<n {
                switch r.next() % 9 {
                case 0: list.append(.node(Int(r.next() % 4)))
                case 1: list.append(.zone(Int(r.next() % 4)))
                case 2: if r.next() % 6 == 0 { list.append(.unknownZone) }
                case 3: if r.next() % 20 == 0 { list.append(.any) }
                case 4: if r.next() % 10 == 0 { list.append(.prefix(CIDR(address: IPAddress(hi: 0, lo: 0), length: 0))) }
                default:
                    let a = Self.address(&r)
                    list.append(.prefix(CIDR(address: a, length: Int(r.next() % UInt64(a.isV4 ? 33 : 129)))))
                }
            }
            let set = AddressSet(list)
            for _ in 0..<200 {
                let ip = Self.address(&r)
                let p: Placement
                switch r.next() % 3 {
                case 0: p = Placement(node: Int(r.next() % 4), zone: nil)
                case 1: p = Placement(node: nil, zone: Int(r.next() % 4))
                default: p = .unknown
                }
                let expected = list.contains { AddressSet.matches($0, ip, p) }
                #expect(set.contains(ip, p) == expected, "\(list) \(ip) \(p)")
            }
        }
    }

    @Test func lastAddressOfAPrefix() {
        #expect(CIDR("10.0.0.0/8")!.last == IPAddress("10.255.255.255")!)
        #expect(CIDR("10.1.2.3/32")!.last == IPAddress("10.1.2.3")!)
        #expect(CIDR("2001:db8::/32")!.last == IPAddress("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")!)
        #expect(CIDR("2001:db8::/96")!.last == IPAddress("2001:db8::ffff:ffff")!)
        #expect(CIDR("::/0")!.last == IPAddress(hi: .max, lo: .max))
    }
}
