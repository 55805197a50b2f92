/// PostgreSQL: the startup message (protocol 3.0) or SSLRequest. After an SSLRequest the
/// server answers 'S' and a TLS hello follows (upgrade), or 'N' and the session stays
/// cleartext.
public enum PostgreSQLInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let len = p.u32(0), let code = p.u32(4), Int(len) == p.count || (len >= 8 && len < 10_000 && Int(len) <= p.count) else {
            return c.fromClient ? .no : .notYet
        }
        switch code {
        case 80_877_103, 80_877_104:
            guard len == 8 else { return .no }
            c.identify(.postgresql, .unknown, keepInspecting: true)
            c.state.phase = 1
        case 196_608:
            c.identify(.postgresql, .cleartext)
        default:
            return .no
        }
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        if !c.fromClient && c.state.phase == 1 && p.count == 1 {
            if p.u8(0) == UInt8(ascii: "N") {
                c.state.state = .cleartext
                c.state.active = false
            }
            return
        }
        if c.fromClient && c.state.phase == 1, let code = p.u32(4), code == 196_608 {
            c.state.state = .cleartext
            c.state.active = false
        }
    }
}

/// MySQL and MariaDB: the server greeting (protocol 10). A client SSL request (the short
/// handshake response with CLIENT_SSL) followed by a TLS hello upgrades.
public enum MySQLInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard !c.fromClient, let l0 = p.u8(0), let l1 = p.u8(1), let l2 = p.u8(2), p.u8(3) == 0, p.u8(4) == 0x0a else { return .no }
        let len = Int(l0) | Int(l1) << 8 | Int(l2) << 16
        guard len + 4 == p.count, let nul = p.find(0, from: 5, limit: 64), nul > 5 else { return .no }
        let version = p.text(5, nul - 5)
        guard version.first?.isNumber == true else { return .no }
        c.identify(.mysql, .cleartext, keepInspecting: true)
        c.details().banner = version
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        // A full handshake response (with user name) or any command: no upgrade.
        if c.fromClient && p.count > 40 { c.state.active = false }
    }
}

/// Redis: RESP arrays of bulk strings, or the inline PING.
public enum RedisInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == UInt8(ascii: "*") else { return .no }
        var i = 1
        while let b = p.u8(i), b >= 0x30 && b <= 0x39, i < 8 { i += 1 }
        guard i > 1, p.u8(i) == 0x0d, p.u8(i + 1) == 0x0a, p.u8(i + 2) == UInt8(ascii: "$") else { return .no }
        c.identify(.redis)
        return .yes
    }
}

/// MongoDB wire protocol: a little-endian message header whose length is the message's
/// and whose opcode is known.
public enum MongoDBInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 16 else { return .no }
        func le32(_ o: Int) -> UInt32 { UInt32(p.base[o]) | UInt32(p.base[o + 1]) << 8 | UInt32(p.base[o + 2]) << 16 | UInt32(p.base[o + 3]) << 24 }
        let len = le32(0), op = le32(12)
        guard Int(len) == p.count, [1, 2001, 2002, 2004, 2005, 2006, 2007, 2012, 2013].contains(op) else { return .no }
        guard op == 2013 || op == 2004 || c.port(27017) else { return .no }
        c.identify(.mongodb)
        return .yes
    }
}

/// Microsoft SQL Server's TDS. Encryption is negotiated in the PRELOGIN exchange: the
/// client offers (ON, OFF, NOT_SUP, REQ) and the server decides. NOT_SUP on either side
/// leaves the whole session in cleartext; OFF means only the LOGIN7 packet is
/// encrypted, queries and results travel in clear; ON or REQ encrypt everything once
/// the TLS handshake (carried in PRELOGIN packets) starts. TDS 8 (strict) opens with
/// TLS itself, which the TLS inspector sees.
public enum TDSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let off: UInt8 = 0, on: UInt8 = 1, notSupported: UInt8 = 2, required: UInt8 = 3
    /// `InspectState.phase`: the client's offer was read; the server chose full encryption.
    static let offered: UInt8 = 1, awaitingTLS: UInt8 = 2

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient else { return c.index == 0 ? .notYet : .no }
        guard let offer = prelogin(p, type: 0x12) else { return .no }
        c.identify(.mssql, offer == notSupported ? .cleartext : .unknown, keepInspecting: true)
        c.state.phase = offered
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.state.phase == offered, !c.fromClient, let choice = prelogin(p, type: 0x04) {
            switch choice {
            case off, notSupported:
                // OFF encrypts the LOGIN7 packet alone: queries and results are in clear.
                c.state.state = .cleartext
                c.state.active = false
            case on, required:
                c.state.phase = awaitingTLS
            default:
                c.state.active = false
            }
        } else if c.state.phase == offered, c.fromClient, let type = p.u8(0), type == 0x10 || type == 0x01, p.u8(7) == 0 {
            // A login or a query in clear (the server's answer was not seen): no encryption.
            c.state.state = .cleartext
            c.state.active = false
        } else if c.state.phase == awaitingTLS, p.u8(0) == 0x12, p.u8(8) == 0x16, p.u8(9) == 0x03 {
            // The TLS handshake, inside PRELOGIN packets: from here on, all is encrypted.
            c.state.state = .encrypted
            c.state.upgraded = true
            c.state.active = false
        }
    }

    /// A PRELOGIN message (client: packet type 0x12; server: 0x04) that parses: its
    /// ENCRYPTION option, or 0xff when it has none. Nil if not PRELOGIN.
    static func prelogin(_ p: Bytes, type: UInt8) -> UInt8? {
        guard p.u8(0) == type, let status = p.u8(1), status & 0xe0 == 0, let len = p.u16(2), len >= 8 + 6,
              Int(len) <= p.count, p.u8(7) == 0 else { return nil }
        let body = p.slice(8, Int(len) - 8)
        var off = 0
        var encryption: UInt8 = 0xff
        var sawVersion = false
        for _ in 0..<16 {
            guard let token = body.u8(off) else { return nil }
            if token == 0xff { return sawVersion ? encryption : nil }
            guard let at = body.u16(off + 1), let n = body.u16(off + 3), Int(at) + Int(n) <= body.count else { return nil }
            if token == 0x00 { sawVersion = n == 6 }
            if token == 0x01 {
                guard n >= 1, let v = body.u8(Int(at)) else { return nil }
                encryption = v & 0x0f
            }
            off += 5
        }
        return nil
    }
}
