import DemarcDecode
import DemarcFlows
/// IPFIX (RFC 7011) encoding of flow records: one biflow record (RFC 5103) per flow,
/// the client as source; reverse counters under the reverse PEN 29305; demarc's own
/// fields as enterprise-specific elements under `IPFIXTemplate.pen` (32473, the
/// documentation PEN of RFC 5612, by default). docs/formats.md lists every element.
public enum IPFIX {
    /// The reverse information element PEN (RFC 5103 section 6.1).
    public static let reversePEN: UInt32 = 29305
    /// The enterprise number demarc's own elements use unless the operator gives one.
    public static let documentationPEN: UInt32 = 32473
    public static let version: UInt16 = 10
    public static let templateSetID: UInt16 = 2
    /// Message header (16 octets) and set header (4 octets).
    static let headerLength = 16, setHeaderLength = 4
    /// Variable-length elements are declared with this length (RFC 7011 section 7).
    static let variableLength: UInt16 = 65535

    /// flowEndReason (IE 136) of a tracker's finish reason: idle timeout 1, end of flow
    /// detected 3 (FIN both ways or RST; a reused tuple is a new connection, so the old
    /// one ended), forced end 4 (the input ended or the monitor stopped).
    public static func endReason(_ r: FinishReason) -> UInt8 {
        switch r {
        case .idle: return 1
        case .closed, .reused: return 3
        case .endOfInput: return 4
        }
    }
}

/// One field specifier of a template: an information element, its length, and its
/// enterprise number when it has one.
public struct IPFIXField: Sendable, Equatable {
    public var id: UInt16
    public var length: UInt16
    public var pen: UInt32?

    public init(_ id: UInt16, _ length: UInt16, pen: UInt32? = nil) {
        self.id = id; self.length = length; self.pen = pen
    }
}

/// demarc's templates: one for IPv4 flows, one for IPv6 flows, the same elements but
/// the addresses.
public struct IPFIXTemplate: Sendable {
    public static let ipv4ID: UInt16 = 256
    public static let ipv6ID: UInt16 = 257

    /// demarc's enterprise-specific element numbers (under `pen`).
    public enum Element: UInt16, CaseIterable, Sendable {
        case segment = 1, responsible = 2, encryptionState = 3, findingCodes = 4, sensor = 5
    }

    /// The enterprise number of demarc's own elements (--ipfix-pen).
    public var pen: UInt32
    /// With --sensor: the `sensor` element is in the templates.
    public var sensor: Bool

    public init(pen: UInt32 = IPFIX.documentationPEN, sensor: Bool = false) {
        self.pen = pen; self.sensor = sensor
    }

    /// The fields of the IPv4 or IPv6 template, in record order.
    public func fields(ipv6: Bool) -> [IPFIXField] {
        var f: [IPFIXField] = [
            ipv6 ? IPFIXField(27, 16) : IPFIXField(8, 4),      // sourceIPv6Address / sourceIPv4Address
            ipv6 ? IPFIXField(28, 16) : IPFIXField(12, 4),     // destinationIPv6Address / destinationIPv4Address
            IPFIXField(7, 2),                                  // sourceTransportPort
            IPFIXField(11, 2),                                 // destinationTransportPort
            IPFIXField(4, 1),                                  // protocolIdentifier
            IPFIXField(6, 2),                                  // tcpControlBits
            IPFIXField(152, 8),                                // flowStartMilliseconds
            IPFIXField(153, 8),                                // flowEndMilliseconds
            IPFIXField(1, 8),                                  // octetDeltaCount
            IPFIXField(2, 8),                                  // packetDeltaCount
            IPFIXField(1, 8, pen: IPFIX.reversePEN),           // reverse octetDeltaCount
            IPFIXField(2, 8, pen: IPFIX.reversePEN),           // reverse packetDeltaCount
            IPFIXField(136, 1),                                // flowEndReason
            IPFIXField(239, 1),                                // biflowDirection
            IPFIXField(148, 8),                                // flowId
        ]
        for e in Element.allCases where e != .sensor || sensor {
            f.append(IPFIXField(e.rawValue, IPFIX.variableLength, pen: pen))
        }
        return f
    }

    /// A template set holding both templates.
    public func templateSet() -> [UInt8] {
        var b: [UInt8] = []
        b.appendBE(IPFIX.templateSetID)
        b.appendBE(UInt16(0))
        for (id, v6) in [(Self.ipv4ID, false), (Self.ipv6ID, true)] {
            let fields = self.fields(ipv6: v6)
            b.appendBE(id)
            b.appendBE(UInt16(fields.count))
            for f in fields {
                b.appendBE(f.pen == nil ? f.id : f.id | 0x8000)
                b.appendBE(f.length)
                if let pen = f.pen { b.appendBE(pen) }
            }
        }
        b.setBE(UInt16(b.count), at: 2)
        return b
    }

    /// A flow's data record under its template (IPv4 or IPv6 by its addresses): no
    /// secret, user name, SNI or application payload, only the elements listed.
    public func record(_ r: FlowRecord, into b: inout [UInt8]) {
        let v4 = r.client.address.isV4
        for a in [r.client.address, r.server.address] {
            if v4 { b.appendBE(a.v4) } else { b.appendBE(a.hi); b.appendBE(a.lo) }
        }
        b.appendBE(r.client.port ?? 0)
        b.appendBE(r.server.port ?? 0)
        b.append(r.ipProtocol)
        b.appendBE(UInt16(r.tcpFlags))
        b.appendBE(UInt64(bitPattern: Self.millis(r.firstSeen)))
        b.appendBE(UInt64(bitPattern: Self.millis(r.lastSeen)))
        b.appendBE(r.bytesToServer)
        b.appendBE(r.packetsToServer)
        b.appendBE(r.bytesToClient)
        b.appendBE(r.packetsToClient)
        b.append(IPFIX.endReason(r.finish))
        b.append(1)  // biflowDirection: initiator (the source is the client)
        b.appendBE(r.id)
        b.appendVariable(r.segment.rawValue)
        b.appendVariable(r.responsible.rawValue)
        b.appendVariable(r.encryption.state.name)
        b.appendVariable(r.findings.map(\.code).joined(separator: ","))
        if sensor { b.appendVariable(r.sensor ?? "") }
    }

    public static func templateID(_ r: FlowRecord) -> UInt16 { r.client.address.isV4 ? ipv4ID : ipv6ID }

    /// Microseconds since the epoch to milliseconds, rounded down (as the jsonl's
    /// timestamps truncated to the millisecond).
    static func millis(_ micros: Int64) -> Int64 { micros >= 0 ? micros / 1000 : (micros - 999) / 1000 }
}

/// Messages (RFC 7011 section 3.1) for one exporting process and observation domain:
/// a header, then sets. The sequence number counts the data records sent before.
public struct IPFIXMessageBuilder: Sendable {
    public var domain: UInt32
    public private(set) var sequence: UInt32 = 0

    public init(domain: UInt32) { self.domain = domain }

    /// A message of the given sets (each already with its set header), exported at
    /// `exportTime` (seconds since the epoch); `records` data records in it.
    public mutating func message(sets: [[UInt8]], records: Int, exportTime: UInt32) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(IPFIX.headerLength + sets.reduce(0) { $0 + $1.count })
        b.appendBE(IPFIX.version)
        b.appendBE(UInt16(0))
        b.appendBE(exportTime)
        b.appendBE(sequence)
        b.appendBE(domain)
        for s in sets { b += s }
        b.setBE(UInt16(b.count), at: 2)
        sequence &+= UInt32(truncatingIfNeeded: records)
        return b
    }
}

extension Array where Element == UInt8 {
    mutating func appendBE<T: FixedWidthInteger>(_ v: T) {
        var x = v.bigEndian
        Swift.withUnsafeBytes(of: &x) { append(contentsOf: $0) }
    }

    mutating func setBE(_ v: UInt16, at i: Int) {
        self[i] = UInt8(v >> 8); self[i + 1] = UInt8(v & 0xff)
    }

    /// A variable-length field (RFC 7011 section 7): one length octet below 255, else
    /// 255 and two length octets; at most 65535 octets, cut there.
    mutating func appendVariable(_ s: String) {
        let u = Array(s.utf8.prefix(65535))
        if u.count < 255 {
            append(UInt8(u.count))
        } else {
            append(255); appendBE(UInt16(u.count))
        }
        append(contentsOf: u)
    }
}
