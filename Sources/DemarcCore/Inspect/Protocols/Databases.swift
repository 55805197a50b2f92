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
