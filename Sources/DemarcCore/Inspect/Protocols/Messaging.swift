/// Cleartext application and industrial protocols recognised by their own framing:
/// each inspector checks a magic value or a length field against the payload it is
/// handed, so a match is the protocol speaking, not a port number.

/// Git's own transport (git://): pkt-lines, each led by its length as four hex digits;
/// the client's first line asks for a service ("git-upload-pack /repo.git\0host=…").
public enum GitInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let services: [StaticString] = ["git-upload-pack ", "git-receive-pack ", "git-upload-archive "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient else { return c.index == 0 ? .notYet : .no }
        guard let len = hexLength(p), len >= 20, len <= p.count,
              services.contains(where: { p.starts(with: $0, at: 4) }) else { return .no }
        c.identify(.git)
        return .yes
    }

    /// A pkt-line's length prefix: four lowercase or uppercase hex digits.
    static func hexLength(_ p: Bytes) -> Int? {
        var v = 0
        for i in 0..<4 {
            guard let b = p.u8(i) else { return nil }
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x61...0x66: d = b - 0x57
            case 0x41...0x46: d = b - 0x37
            default: return nil
            }
            v = v << 4 | Int(d)
        }
        return v
    }
}

/// FIX (Financial Information eXchange): tag=value fields separated by SOH, always
/// opening with BeginString (8=FIX… or 8=FIXT…) and then BodyLength (9=).
public enum FIXInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "8=FIX"), let soh = p.find(0x01, from: 5, limit: 24),
              p.starts(with: "9=", at: soh + 1) else { return .no }
        c.identify(.fix)
        return .yes
    }
}

/// CORBA's GIOP (IIOP on TCP): the "GIOP" magic, version 1.0–1.3, a message type and
/// the body's size in the byte order the flags name.
public enum GIOPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "GIOP"), p.u8(4) == 1, let minor = p.u8(5), minor <= 3,
              let flags = p.u8(6), let type = p.u8(7), type <= 7, let raw = p.u32(8) else { return .no }
        let size = flags & 1 == 1 ? raw.byteSwapped : raw
        guard size < 1 << 24 else { return .no }
        c.identify(.giop)
        return .yes
    }
}

/// Gearman's binary protocol: "\0REQ" or "\0RES", a packet type and the data's length.
public enum GearmanInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "\0REQ") || p.starts(with: "\0RES"), let type = p.u32(4), (1...43).contains(type),
              let len = p.u32(8), Int(len) + 12 <= p.count || p.count >= 1024 else { return .no }
        c.identify(.gearman)
        return .yes
    }
}

/// Modbus/TCP (port 502): the MBAP header (transaction id, protocol id 0, the length of
/// what follows, unit id) and a function code.
public enum ModbusInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(502), p.u16(2) == 0, let len = p.u16(4), Int(len) + 6 == p.count, len >= 2,
              let fn = p.u8(7), fn & 0x7f != 0 else { return .no }
        c.identify(.modbus)
        return .yes
    }
}

/// CoAP (UDP 5683): version 1, a token of at most 8 bytes, and a request, response or
/// empty code.
public enum CoAPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(5683), let b0 = p.u8(0), b0 >> 6 == 1, let code = p.u8(1), p.count >= 4 + Int(b0 & 0x0f),
              b0 & 0x0f <= 8, [0, 2, 4, 5].contains(code >> 5) else { return .no }
        // Class 0 is a request (1-7) or the empty message (0.00).
        guard code >> 5 != 0 || code & 0x1f <= 7 else { return .no }
        c.identify(.coap)
        return .yes
    }
}

/// SOME/IP (automotive service middleware): message id, a length covering the rest of
/// the message, request id, protocol version 1, interface version, message type and
/// return code.
public enum SOMEIPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let messageTypes: Set<UInt8> = [0x00, 0x01, 0x02, 0x40, 0x41, 0x42, 0x80, 0x81, 0xc0, 0xc1]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 16, let len = p.u32(4), len >= 8, p.u8(12) == 1, let type = p.u8(14),
              messageTypes.contains(type & ~0x20), let rc = p.u8(15), rc <= 0x5e else { return .no }
        // One message per datagram; TCP may carry several in a segment.
        guard c.isUDP ? Int(len) + 8 == p.count : Int(len) + 8 <= p.count else { return .no }
        c.identify(.someip)
        return .yes
    }
}

/// WebSocket frames seen without their HTTP upgrade (the capture began later): a text
/// frame whose header accounts for the whole segment, and whose text, once unmasked
/// (masking is not encryption: the key travels in the frame), is readable.
public enum WebSocketInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let b0 = p.u8(0), b0 & 0x70 == 0, b0 & 0x0f == 1, let b1 = p.u8(1) else { return .no }
        var off = 2
        var len = Int(b1 & 0x7f)
        if len == 126 {
            guard let l = p.u16(2) else { return .no }
            len = Int(l)
            off = 4
        } else if len == 127 {
            return .no
        }
        let masked = b1 & 0x80 != 0
        let keyAt = off
        if masked { off += 4 }
        guard len >= 8, off + len == p.count else { return .no }
        var readable = 0
        for i in 0..<len {
            var b = p.base[off + i]
            if masked { b ^= p.base[keyAt + (i & 3)] }
            if b >= 0x20 && b != 0x7f || b == 0x09 || b == 0x0a || b == 0x0d { readable += 1 }
        }
        guard readable * 100 >= len * 90 else { return .no }
        c.identify(.websocket)
        return .yes
    }
}

/// Discord's voice transport: UDP IP discovery (type 1 or 2, length 70: the SSRC, the
/// address and port as the server sees them), then RTP whose payload the protocol
/// always encrypts (xsalsa20-poly1305 or AEAD modes). Discovery alone shows only
/// cleartext addresses.
public enum DiscordVoiceInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count == 74, let type = p.u16(0), type == 1 || type == 2, p.u16(2) == 70 else { return .no }
        c.identify(.discord, .cleartext, keepInspecting: true)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        // RTP version 2 with a header and at least a 16-byte authentication tag.
        if let b0 = p.u8(0), b0 & 0xc0 == 0x80, p.count >= 12 + 16 {
            c.state.state = .encrypted
            c.state.active = false
        }
    }
}

/// DNP3 (SCADA, TCP or UDP): link-layer frames open with 0x05 0x64 and a length, and
/// carry a CRC after the header and after every 16 data bytes.
public enum DNP3Inspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x05, p.u8(1) == 0x64, let len = p.u8(2), len >= 5 else { return .no }
        let data = Int(len) - 5
        let frame = 10 + data + 2 * ((data + 15) / 16)
        guard frame <= p.count else { return .no }
        c.identify(.dnp3)
        return .yes
    }
}

/// IRC: a client registers (NICK, USER, PASS, CAP LS), a server speaks in prefixed
/// lines (":server NOTICE …"), each line ending in CR LF.
public enum IRCInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let registration: [StaticString] = ["NICK ", "USER ", "PASS ", "CAP LS"]
    static let serverWords: [StaticString] = ["NOTICE ", "PING ", "001 ", "020 ", "439 "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let nl = p.find(0x0a, from: 0, limit: 512), nl > 4, p.u8(nl - 1) == 0x0d else { return .no }
        if c.fromClient {
            guard registration.contains(where: { p.starts(with: $0) }) else { return .no }
        } else {
            guard p.u8(0) == UInt8(ascii: ":"), let sp = p.find(0x20, from: 1, limit: nl),
                  serverWords.contains(where: { p.starts(with: $0, at: sp + 1) }) else { return .no }
        }
        c.identify(.irc)
        return .yes
    }
}

/// WHOIS (TCP 43): one query line from the client.
public enum WhoisInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, c.serverPort == 43, p.count >= 3, p.count <= 512, p.u8(p.count - 1) == 0x0a,
              p.isPrintableASCII(0, p.count - 2) else { return .no }
        c.identify(.whois)
        return .yes
    }
}

/// rsync's daemon protocol: both sides open with "@RSYNCD: " and a version.
public enum RsyncInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "@RSYNCD: "), let d = p.u8(9), (0x30...0x39).contains(d) else { return .no }
        c.identify(.rsync)
        return .yes
    }
}

/// BitTorrent: the peer handshake (19, "BitTorrent protocol") on TCP; DHT queries and
/// responses (bencoded dictionaries with a 20-byte node id) on UDP.
public enum BitTorrentInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let ok = c.isTCP ? p.u8(0) == 19 && p.starts(with: "BitTorrent protocol", at: 1)
                         : p.starts(with: "d1:ad2:id20:") || p.starts(with: "d1:rd2:id20:")
        guard ok else { return .no }
        c.identify(.bittorrent)
        return .yes
    }
}

/// TFTP: a read or write request (opcode, file name, NUL, transfer mode, NUL).
public enum TFTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let op = p.u16(0), op == 1 || op == 2, let end = p.find(0, from: 2, limit: 512), end > 2 else { return .no }
        let mode = end + 1
        guard p.startsCaseless(with: "netascii\0", at: mode) || p.startsCaseless(with: "octet\0", at: mode)
                || p.startsCaseless(with: "mail\0", at: mode) else { return .no }
        c.identify(.tftp)
        return .yes
    }
}
