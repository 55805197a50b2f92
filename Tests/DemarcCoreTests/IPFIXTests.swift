import Testing
@testable import DemarcDecode
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

/// IPFIX encoding (RFC 7011, RFC 5103) byte by byte, and the template timer with a clock
/// the test moves. The end-to-end check against nfcapd and tshark is `make ipfix-test`.
@Suite struct IPFIXTests {
    func flow(_ id: UInt64, v6: Bool = false, findings: [String] = [], finish: FinishReason = .idle) -> FlowRecord {
        let c = v6 ? IPAddress("2001:db8::1")! : IPAddress("192.0.2.1")!
        let s = v6 ? IPAddress("2001:db8::2")! : IPAddress("198.51.100.2")!
        return FlowRecord(id: id, transport: "tcp", ipVersion: v6 ? 6 : 4,
                          client: .init(address: c, port: 40000, zone: "a", node: nil),
                          server: .init(address: s, port: 443, zone: "b", node: nil),
                          firstSeen: 1_700_000_000_123_456, lastSeen: 1_700_000_001_999_999,
                          packetsToServer: 3, packetsToClient: 2, bytesToServer: 300, bytesToClient: 2000,
                          application: nil,
                          encryption: .init(state: .cleartext, protocolName: nil, version: nil, basis: .none, sni: "secret.example",
                                            certificate: nil, upgraded: false, weak: nil),
                          segment: .egress, responsible: .customer, rule: nil,
                          findings: findings.map { Finding(code: $0, severity: .high, party: .customer, message: "m") },
                          ipProtocol: 6, tcpFlags: 0x03, finish: finish)
    }

    func be(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 { b[at..<at + n].reduce(0) { $0 << 8 | UInt64($1) } }

    @Test func biflowRecordLayout() {
        var b: [UInt8] = []
        IPFIXTemplate(sensor: true).record({ var r = flow(7, findings: ["a-b", "c"]); r.sensor = "gw1"; return r }(), into: &b)
        #expect(be(b, 0, 4) == 0xC000_0201 && be(b, 4, 4) == 0xC633_6402)
        #expect(be(b, 8, 2) == 40000 && be(b, 10, 2) == 443 && b[12] == 6 && be(b, 13, 2) == 3)
        #expect(be(b, 15, 8) == 1_700_000_000_123 && be(b, 23, 8) == 1_700_000_001_999)
        #expect([be(b, 31, 8), be(b, 39, 8), be(b, 47, 8), be(b, 55, 8)] == [300, 3, 2000, 2])
        #expect(b[63] == 1 && b[64] == 1 && be(b, 65, 8) == 7)
        let strings = Array(b[73...])
        #expect(strings == [6] + Array("egress".utf8) + [8] + Array("customer".utf8) + [9] + Array("cleartext".utf8)
                + [5] + Array("a-b,c".utf8) + [3] + Array("gw1".utf8))
        #expect(!String(decoding: b, as: UTF8.self).contains("secret"))
    }

    @Test func templatesDeclareReverseAndEnterpriseElements() {
        let set = IPFIXTemplate(pen: 99999).templateSet()
        #expect(be(set, 0, 2) == 2 && be(set, 2, 2) == UInt64(set.count))
        #expect(be(set, 4, 2) == 256 && be(set, 6, 2) == 19)
        // The 11th field of template 256: reverse octetDeltaCount under PEN 29305.
        #expect(be(set, 8 + 10 * 4, 2) == 0x8001 && be(set, 8 + 10 * 4 + 2, 2) == 8 && be(set, 8 + 10 * 4 + 4, 4) == 29305)
        let v6 = IPFIXTemplate(sensor: true).fields(ipv6: true)
        #expect(v6.first == IPFIXField(27, 16) && v6.last == IPFIXField(5, 65535, pen: 32473))
        #expect(IPFIXTemplate(pen: 99999).fields(ipv6: false).filter { $0.pen == 99999 }.count == 4)
    }

    @Test func endReasons() {
        #expect([FinishReason.idle, .closed, .reused, .endOfInput].map(IPFIX.endReason) == [1, 3, 3, 4])
    }

    @Test func longStringsUseThreeOctetLength() {
        var b: [UInt8] = []
        b.appendVariable(String(repeating: "x", count: 300))
        #expect(b[0] == 255 && be(b, 1, 2) == 300 && b.count == 303)
    }

    @Test func templatesAreResentOnTheTimer() {
        var now: Int64 = 1000
        var sent: [[UInt8]] = []
        let w = IPFIXWriter(template: IPFIXTemplate(), domain: 5, live: true, templateInterval: 60, clock: { now }) { sent.append($0) }
        let hasTemplates = { (m: [UInt8]) in self.be(m, 16, 2) == 2 }
        w.flow(flow(1))
        now += 59
        w.flow(flow(2))
        now += 1
        w.flow(flow(3, v6: true))
        #expect(sent.map(hasTemplates) == [true, false, true])
        // Header: version 10, length, export time, sequence (records before), domain.
        #expect(sent.map { be($0, 0, 2) } == [10, 10, 10])
        #expect(sent.allSatisfy { be($0, 2, 2) == UInt64($0.count) })
        #expect(sent.map { be($0, 4, 4) } == [1000, 1059, 1060])
        #expect(sent.map { be($0, 8, 4) } == [0, 1, 2])
        #expect(sent.allSatisfy { be($0, 12, 4) == 5 })
    }

    @Test func replayPacksMessages() {
        var sent: [[UInt8]] = []
        let w = IPFIXWriter(template: IPFIXTemplate(), domain: 0, live: false, clock: { 0 }) { sent.append($0) }
        for i in 1...100 { w.flow(flow(UInt64(i))) }
        w.finish(ReportHeader(scenarioName: "s", scenarioSource: "s"))
        #expect(sent.count > 1 && sent.allSatisfy { $0.count <= IPFIXWriter.maxMessage })
        // The sequence numbers count the records sent before each message.
        var records = 0
        for m in sent {
            #expect(be(m, 8, 4) == UInt64(records))
            var at = 16
            while at < m.count {
                let id = be(m, at, 2), len = Int(be(m, at + 2, 2))
                if id == 256 { records += (len - 4) / 100 }
                at += len
            }
        }
        #expect(records == 100)
    }
}
