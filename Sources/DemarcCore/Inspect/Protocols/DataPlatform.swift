/// The wire protocols of managed data platforms (streams, queues, caches, wide-column
/// stores) when they run without TLS: each recognised by its own framing, never by the
/// port alone. With TLS they are TLS from the first byte, or upgrade in band.

/// Kafka: a request is a 4-byte size covering the rest, API key, API version,
/// correlation id and a client id (a length-prefixed string, or -1).
public enum KafkaInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient else { return c.index == 0 ? .notYet : .no }
        guard let size = p.u32(0), Int(size) + 4 <= p.count || (size < 1 << 24 && p.count >= 1024), size >= 10,
              let api = p.u16(4), api <= 100, let version = p.u16(6), version <= 30,
              let idLen = p.u16(12) else { return .no }
        if idLen != 0xffff {
            // The client id: short, printable.
            guard idLen <= 255, p.isPrintableASCII(14, Int(idLen)) else { return .no }
        }
        c.identify(.kafka)
        return .yes
    }
}

/// Cassandra's CQL native protocol (v3-v5): version (top bit set in responses), flags,
/// stream id, opcode and the body's length, in a 9-byte frame header.
public enum CassandraInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let requestOpcodes: Set<UInt8> = [0x01, 0x05, 0x07, 0x09, 0x0a, 0x0b, 0x0d, 0x0f]
    static let responseOpcodes: Set<UInt8> = [0x00, 0x02, 0x03, 0x06, 0x08, 0x0c, 0x0e, 0x10]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let v = p.u8(0), let flags = p.u8(1), flags & 0xe0 == 0, let op = p.u8(4), let len = p.u32(5),
              Int(len) + 9 <= p.count || (p.count >= 1200 && len < 1 << 28) else { return .no }
        let version = v & 0x7f, response = v & 0x80 != 0
        guard (3...5).contains(version), response != c.fromClient,
              (response ? responseOpcodes : requestOpcodes).contains(op) else { return .no }
        c.identify(.cassandra)
        return .yes
    }
}

/// AMQP: the protocol header ("AMQP", then 0-0-9-1, or 1.0's protocol id: 0 plain,
/// 2 TLS, 3 SASL); or, mid-connection, 0-9-1 frames (type, channel, size, payload and
/// the 0xCE frame end). AMQP 1.0 asking for TLS is an upgrade once the hello follows.
public enum AMQPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "AMQP"), p.count >= 8 {
            guard let id = p.u8(4), id <= 3, let major = p.u8(5), major <= 1 else { return .no }
            c.identify(.amqp, .cleartext, keepInspecting: true)
            return .yes
        }
        guard let type = p.u8(0), [1, 2, 3, 8].contains(type), let size = p.u32(3),
              Int(size) + 8 <= p.count, p.u8(7 + Int(size)) == 0xce else { return .no }
        c.identify(.amqp)
        return .yes
    }
}

/// Memcached: the binary protocol (magic 0x80 request, 0x81 response, 24-byte header
/// whose body length covers the rest), or the text protocol's commands on its port.
public enum MemcachedInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let commands: [StaticString] = ["get ", "gets ", "set ", "add ", "replace ", "append ", "prepend ", "cas ",
                                           "delete ", "incr ", "decr ", "touch ", "gat ", "gats ", "stats", "version",
                                           "flush_all", "verbosity ", "mg ", "ms ", "md ", "ma ", "mn\r"]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        // UDP adds an 8-byte frame header (request id, sequence, count, reserved).
        let off = c.isUDP ? 8 : 0
        if c.isUDP && !(p.u16(4) ?? 0 > 0 && p.u16(6) == 0) { return .no }
        if let magic = p.u8(off), magic == 0x80 || magic == 0x81, let op = p.u8(off + 1), op <= 0x48,
           let keyLen = p.u16(off + 2), let extras = p.u8(off + 4), p.u8(off + 5) == 0, let body = p.u32(off + 8),
           Int(body) + 24 + off == p.count, Int(keyLen) + Int(extras) <= Int(body) {
            c.identify(.memcached)
            return .yes
        }
        guard c.port(11211), commands.contains(where: { p.starts(with: $0, at: off) }),
              let nl = p.find(0x0a, from: off, limit: 2048), p.u8(nl - 1) == 0x0d else { return .no }
        c.identify(.memcached)
        return .yes
    }
}

/// NATS (core protocol): the server opens with `INFO {json}`, the client answers
/// `CONNECT {json}`, then PUB/SUB/MSG lines in clear. A server that requires TLS says so
/// in its INFO and the client's TLS hello follows: encrypted from there (`upgraded`).
/// A capture that missed the INFO still shows the client's CONNECT.
public enum NATSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if !c.fromClient, p.starts(with: "INFO {"), p.find(UInt8(ascii: "}"), from: 6, limit: 4096) != nil,
           mentions(p, key: "\"server_id\"") {
            c.identify(.nats, .cleartext, keepInspecting: true)
            return .yes
        }
        if c.fromClient, p.starts(with: "CONNECT {"), mentions(p, key: "\"verbose\"") || mentions(p, key: "\"protocol\"") {
            c.identify(.nats, .cleartext)
            return .yes
        }
        return .no
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        // The client's CONNECT in clear: no upgrade is coming.
        if c.fromClient { c.state.active = false }
    }

    /// The message (its first 4 KB) holds `key`, a quoted JSON member name.
    static func mentions(_ p: Bytes, key: StaticString) -> Bool {
        let n = key.utf8CodeUnitCount
        var i = 0
        let limit = min(p.count, 4096) - n
        while i <= limit, let at = p.find(key.utf8Start[0], from: i, limit: limit - i + 1) {
            if p.starts(with: key, at: at) { return true }
            i = at + 1
        }
        return false
    }
}

/// iSCSI (RFC 7143), block storage over TCP: every PDU opens with a 48-byte basic header
/// (opcode, flags, the additional header's length in words, a 24-bit data length). A
/// session starts with Login, whose request and response carry text keys in clear
/// (InitiatorName, TargetName, SessionType, AuthMethod, …), versions max and min both 0.
/// iSCSI encrypts nothing itself (RFC 7143 leaves that to IPsec): the disk's blocks
/// travel readable.
public enum ISCSIInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let op = p.u8(0), op & 0x3f == (c.fromClient ? 0x03 : 0x23), p.u8(2) == 0, p.u8(3) == 0,
              let ahs = p.u8(4), let high = p.u8(5), let low = p.u16(6) else { return .no }
        let length = Int(high) << 16 | Int(low)
        let data = 48 + Int(ahs) * 4
        guard length >= 4, length <= 1 << 20, startsWithKey(p, at: data) else { return .no }
        c.identify(.iscsi)
        return .yes
    }

    /// A text key and its `=`: a capital letter, then letters and digits.
    static func startsWithKey(_ p: Bytes, at offset: Int) -> Bool {
        guard let first = p.u8(offset), (0x41...0x5a).contains(first) else { return false }
        var i = offset + 1
        while let b = p.u8(i), i - offset < 64 {
            if b == UInt8(ascii: "=") { return i - offset >= 3 }
            guard (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) else { return false }
            i += 1
        }
        return false
    }
}
