/// MQTT: the CONNECT packet names the protocol ("MQTT", or "MQIsdp" for 3.1).
public enum MQTTInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == 0x10 else { return c.fromClient ? .no : .notYet }
        var i = 1
        while let b = p.u8(i), b & 0x80 != 0, i < 4 { i += 1 }
        i += 1
        guard (p.u16(i) == 4 && p.starts(with: "MQTT", at: i + 2)) || (p.u16(i) == 6 && p.starts(with: "MQIsdp", at: i + 2)) else { return .no }
        c.identify(.mqtt)
        return .yes
    }
}

/// SNMP v1, v2c and v3 (BER message with a version integer). A v3 message whose flags
/// ask for privacy carries an encrypted PDU.
public enum SNMPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(161) || c.port(162), p.u8(0) == 0x30, let (_, h) = BER.length(p, at: 1),
              p.u8(1 + h) == 0x02, p.u8(2 + h) == 0x01, let v = p.u8(3 + h), v <= 1 || v == 3 else { return .no }
        var state = EncryptionState.cleartext
        if v == 3 {
            // msgGlobalData: SEQUENCE { msgID, msgMaxSize, msgFlags (OCTET STRING), … }
            var off = 4 + h
            if p.u8(off) == 0x30, let (_, gh) = BER.length(p, at: off + 1) {
                off += 1 + gh
                for _ in 0..<2 {
                    guard p.u8(off) == 0x02, let (l, lh) = BER.length(p, at: off + 1) else { break }
                    off += 1 + lh + l
                }
                if p.u8(off) == 0x04, p.u8(off + 1) == 0x01, let flags = p.u8(off + 2), flags & 0x02 != 0 { state = .encrypted }
            }
        }
        c.identify(.snmp, state)
        return .yes
    }
}

/// Syslog: a `<PRI>` header (facility and severity, at most 191). Over UDP on port 514
/// that alone will do; elsewhere, and over TCP (RFC 6587, with or without an octet
/// count before each message), the header must go on as RFC 5424 (`1 ` and a timestamp
/// or `-`) or RFC 3164 (a month name) does.
public enum SyslogInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient || c.isUDP else { return .no }
        var at = 0
        if c.isTCP {
            // Octet counting: the message length in digits, a space, then the message.
            var i = 0
            while let b = p.u8(i), b >= 0x30 && b <= 0x39, i < 6 { i += 1 }
            if i > 0, p.u8(i) == 0x20 { at = i + 1 }
        }
        guard let after = pri(p, at: at) else { return .no }
        let strict = c.isTCP || !c.port(514)
        if strict && !(rfc5424(p, at: after) || rfc3164(p, at: after)) { return .no }
        c.identify(.syslog)
        return .yes
    }

    /// The offset after a `<PRI>` at `at` (1–3 digits, at most 191).
    static func pri(_ p: Bytes, at: Int) -> Int? {
        guard p.u8(at) == UInt8(ascii: "<") else { return nil }
        var i = at + 1, v = 0
        while let b = p.u8(i), b >= 0x30 && b <= 0x39, i <= at + 3 { v = v * 10 + Int(b - 0x30); i += 1 }
        guard i > at + 1, p.u8(i) == UInt8(ascii: ">"), v <= 191 else { return nil }
        return i + 1
    }

    /// `1 ` then a full-date timestamp (`2026-…T`) or the nil value `- `.
    static func rfc5424(_ p: Bytes, at: Int) -> Bool {
        guard p.starts(with: "1 ", at: at) else { return false }
        if p.starts(with: "- ", at: at + 2) { return true }
        guard p.has(at + 2, 11) else { return false }
        for k in digitOffsets where !(0x30...0x39).contains(p.base[at + 2 + k]) { return false }
        return p.base[at + 6] == 0x2d && p.base[at + 9] == 0x2d && p.base[at + 12] == UInt8(ascii: "T")
    }

    /// Where the digits of `YYYY-MM-DD` are.
    static let digitOffsets = [0, 1, 2, 3, 5, 6, 8, 9]
    static let months: [StaticString] = ["Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec "]

    /// A BSD timestamp: a month name, a space, then the day.
    static func rfc3164(_ p: Bytes, at: Int) -> Bool {
        months.contains { p.starts(with: $0, at: at) }
    }
}

/// NTP: version 1–4 and a mode in the first byte, 48 bytes or more, on port 123.
public enum NTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(123), let b = p.u8(0), p.count >= 48 || (p.count >= 12 && b & 7 == 6) else { return .no }
        let version = (b >> 3) & 7, mode = b & 7
        guard (1...4).contains(version), (1...7).contains(mode) else { return .no }
        c.identify(.ntp)
        return .yes
    }
}

/// DHCP (BOOTP with the magic cookie) and DHCPv6.
public enum DHCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.port(67) || c.port(68) {
            guard let op = p.u8(0), op == 1 || op == 2, p.u8(1) == 1, p.u8(2) == 6, p.u32(236) == 0x6382_5363 else { return .no }
            c.identify(.dhcp)
            return .yes
        }
        if c.port(546) || c.port(547) {
            guard let t = p.u8(0), (1...13).contains(t), p.count >= 4 else { return .no }
            c.identify(.dhcpv6)
            return .yes
        }
        return .no
    }
}

/// Service Location Protocol (v1 and v2): version, function, and a length that is the
/// message's.
public enum SLPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(427), let v = p.u8(0), let f = p.u8(1) else { return .no }
        if v == 2, (1...11).contains(f), let hi = p.u8(2), let lo = p.u16(3) {
            let len = Int(hi) << 16 | Int(lo)
            guard len == p.count || (c.isTCP && len > p.count) else { return .no }
        } else if v == 1, (1...10).contains(f), let len = p.u16(2) {
            guard Int(len) == p.count || (c.isTCP && Int(len) > p.count) else { return .no }
        } else {
            return .no
        }
        c.identify(.slp)
        return .yes
    }
}

/// STUN and TURN (RFC 5389 with its magic cookie, or RFC 3489's classic messages).
public enum STUNInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var m = p
        if c.isTCP, let framed = p.u16(0), Int(framed) + 2 == p.count, p.u32(6) == 0x2112_a442 { m = p.slice(2, -1) }
        guard let type = m.u16(0), type & 0xc000 == 0, let len = m.u16(2), Int(len) + 20 == m.count else { return .no }
        let cookie = m.u32(4) == 0x2112_a442
        // RFC 5389 pads attributes to 4 bytes; some implementations do not, so only
        // classic (cookie-less) messages must be aligned.
        guard cookie || len % 4 == 0 else { return .no }
        let classic: Set<UInt16> = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112, 0x0003, 0x0103, 0x0113]
        guard cookie || classic.contains(type) else { return .no }
        c.identify(.stun, keepInspecting: c.isUDP)
        return .yes
    }

    static let dtlsOwner = PayloadInspector.owner(of: DTLSInspector.self)
    static let zoomOwner = PayloadInspector.owner(of: ZoomInspector.self)

    /// ICE multiplexes STUN with the media it sets up on one 5-tuple (RFC 7983: first
    /// byte 0-3 STUN, 20-63 DTLS, 128-191 RTP and RTCP). A DTLS handshake that follows
    /// makes the flow DTLS; RTCP says whether the media is SRTP (encrypted) or plain RTP;
    /// Zoom's peer-to-peer media makes it Zoom.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let b0 = p.u8(0) else { return }
        switch b0 {
        case 20...63:
            if DTLSInspector.identify(&c, p) == .yes { c.state.owner = dtlsOwner }
        case 128...191:
            _ = RTCPInspector.claim(&c, p)
        default:
            if ZoomInspector.claim(&c, p) { c.state.owner = zoomOwner }
        }
    }
}

/// RADIUS (authentication, accounting, dynamic authorization): a known code, a length
/// equal to the datagram's, and attributes that tile the rest exactly.
public enum RADIUSInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static let codes: Set<UInt8> = [1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(in: [1812, 1813, 1645, 1646, 3799]), let code = p.u8(0), codes.contains(code),
              let len = p.u16(2), Int(len) == p.count, len >= 20 else { return .no }
        var off = 20
        while off < p.count {
            guard let alen = p.u8(off + 1), alen >= 2 else { return .no }
            off += Int(alen)
        }
        guard off == p.count else { return .no }
        c.identify(.radius)
        return .yes
    }
}

/// Kerberos: an application-tagged KDC message (AS/TGS request or reply, error), with
/// TCP's 4-byte record length.
public enum KerberosInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(88) else { return .no }
        let off = c.isTCP ? 4 : 0
        guard let tag = p.u8(off), [0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x7e].contains(tag), BER.length(p, at: off + 1) != nil else { return .no }
        c.identify(.kerberos)
        return .yes
    }
}

/// BGP: the 16-byte all-ones marker and a message type.
public enum BGPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u64(0) == UInt64.max, p.u64(8) == UInt64.max, let t = p.u8(18), (1...5).contains(t) else { return .no }
        c.identify(.bgp)
        return .yes
    }
}

/// ONC RPC (NFS, portmapper, mount…): a call with RPC version 2 and a known program, or
/// TCP's record marker before it. The call's credential says how it is protected:
/// RPCSEC_GSS (RFC 2203) data calls name their service, privacy (Kerberos krb5p)
/// encrypting the arguments and integrity (krb5i) only signing them; a context being set
/// up says nothing yet, so the flow is followed to its first data call. AUTH_TLS (RFC
/// 9289) probes for TLS, which then starts in the same connection. Other credentials
/// (AUTH_SYS, none) leave the calls in clear.
public enum RPCInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// What a call's credential says of protection.
    enum Protection: Equatable { case clear, integrity, privacy, pending, tlsProbe }

    static func protection(_ p: Bytes, at off: Int) -> Protection? {
        guard let flavor = p.u32(off + 24) else { return nil }
        switch flavor {
        case 6:
            guard p.u32(off + 32) == 1, let proc = p.u32(off + 36), let service = p.u32(off + 44) else { return nil }
            if proc != 0 { return proc <= 3 ? .pending : nil }
            switch service {
            case 1: return .clear
            case 2: return .integrity
            case 3: return .privacy
            default: return nil
            }
        case 7: return .tlsProbe
        default: return .clear
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let off = c.isTCP ? 4 : 0
        if c.isTCP {
            guard let mark = p.u32(0), mark & 0x8000_0000 != 0 else { return .no }
        }
        guard let type = p.u32(off + 4) else { return .no }
        if type == 0 {
            guard let protection = callProtection(c, p), let prog = p.u32(off + 12),
                  (100_000...100_300).contains(prog) else { return .no }
            judge(&c, protection)
            return .yes
        }
        if type == 1 && (c.port(2049) || c.port(111)) {
            guard let stat = p.u32(off + 8), stat <= 1 else { return .no }
            // An accepted reply's verifier is RPCSEC_GSS's when the calls were: which
            // service they used, only a call says.
            judge(&c, stat == 0 && p.u32(off + 12) == 6 ? .pending : .clear)
            return .yes
        }
        return .no
    }

    static func judge(_ c: inout InspectionContext, _ protection: Protection) {
        switch protection {
        case .clear:
            c.identify(.nfs, .cleartext)
        case .integrity:
            c.identify(.nfs, .cleartext)
            c.details().banner = "RPCSEC_GSS integrity: signed, not encrypted"
        case .privacy:
            c.identify(.nfs, .encrypted)
            c.details().banner = "RPCSEC_GSS privacy"
        case .pending, .tlsProbe:
            c.identify(.nfs, .unknown, keepInspecting: true)
        }
    }

    /// Calls after a context set-up or a reply seen first; TLS after an AUTH_TLS probe.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        guard c.fromClient, let protection = callProtection(c, p) else { return }
        judge(&c, protection)
    }

    /// An RPC version 2 call (after TCP's record marker, whose last-fragment bit it sets)
    /// and what its credential says.
    static func callProtection(_ c: InspectionContext, _ p: Bytes) -> Protection? {
        let off = c.isTCP ? 4 : 0
        guard !c.isTCP || p.u32(0).map({ $0 & 0x8000_0000 != 0 }) == true,
              p.u32(off + 4) == 0, p.u32(off + 8) == 2 else { return nil }
        return protection(p, at: off)
    }
}

/// SOCKS 4 and 5 greetings.
public enum SOCKSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let v = p.u8(0) else { return .no }
        if v == 5, let n = p.u8(1), n >= 1, Int(n) + 2 == p.count {
            for i in 0..<Int(n) { guard let m = p.u8(2 + i), m <= 0x09 || m == 0xff else { return .no } }
            c.identify(.socks)
            return .yes
        }
        if v == 4, let cmd = p.u8(1), cmd == 1 || cmd == 2, p.count >= 9, p.u8(p.count - 1) == 0 {
            c.identify(.socks)
            return .yes
        }
        return .no
    }
}

/// Bitcoin's peer protocol: network magic and an ASCII command.
public enum BitcoinInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let magic = p.u32(0), [0xf9be_b4d9, 0x0b11_0907, 0xfabf_b5da, 0x0a03_cf40].contains(magic) else { return .no }
        guard let ch = p.u8(4), ch >= 0x61 && ch <= 0x7a else { return .no }
        c.identify(.bitcoin)
        return .yes
    }
}

/// Nano's node protocol: a header of network id ("R" and A, B, C or X), maximum, used
/// and minimum protocol versions and a message type. Messages are signed, not
/// encrypted: hashes and signatures look random, the protocol is cleartext.
public enum NanoInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 8, p.u8(0) == UInt8(ascii: "R"), let net = p.u8(1), [0x41, 0x42, 0x43, 0x58].contains(net),
              let maxV = p.u8(2), let using = p.u8(3), let minV = p.u8(4), minV <= using, using <= maxV,
              (0x0c...0x40).contains(minV), maxV <= 0x40, let type = p.u8(5), (2...0x12).contains(type) else { return .no }
        c.identify(.nano)
        return .yes
    }
}

/// Zabbix agent protocol: "ZBXD" and a flags byte.
public enum ZabbixInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "ZBXD"), let f = p.u8(4), f & 0xf8 == 0 else { return .no }
        c.identify(.zabbix)
        return .yes
    }
}

/// Ethereum's devp2p: RLPx (TCP) opens with an EIP-8 auth message, a 2-byte size and an
/// ECIES ciphertext (a public key, an IV, the ciphertext, a MAC): encrypted. Node
/// discovery v4 (UDP) is a hash, a signature, a packet type and RLP data: signed but not
/// encrypted.
public enum EthereumInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.isUDP {
            guard p.count >= 98, let type = p.u8(97), (1...6).contains(type), let list = p.u8(98), list >= 0xc0 else { return .no }
            c.identify(.ethereum, .cleartext)
            return .yes
        }
        // EIP-8: size prefix, then 0x04 (an uncompressed ephemeral public key).
        guard c.index == 0, let size = p.u16(0), Int(size) + 2 == p.count, size >= 113, p.u8(2) == 0x04 else { return .no }
        c.identify(.ethereum, .encrypted)
        return .yes
    }
}

/// WhatsApp's chat transport: a Noise Pipes handshake opened by a 4-byte preamble ("WA"
/// and a version, or "ED" and a version), then length-prefixed Noise frames.
public enum WhatsAppInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, c.index == 0, p.count >= 4, p.starts(with: "WA") || p.starts(with: "ED"),
              let major = p.u8(2), major <= 10 else { return .no }
        // The preamble may travel alone or with the first Noise frame (3-byte length).
        if p.count > 4 {
            guard let hi = p.u8(4), let lo = p.u16(5), (Int(hi) << 16 | Int(lo)) + 7 <= p.count + 65536 else { return .no }
        }
        c.identify(.whatsapp, .encrypted)
        return .yes
    }
}

/// Flow exports: NetFlow v5 and v9, IPFIX (RFC 7011) and sFlow v5, the records (or
/// sampled packet headers) of the traffic a router or probe saw, sent to a collector in
/// clear. Recognised by their headers: v5's
/// length is fixed by its record count; v9's and IPFIX's sets, walked to the end of the
/// datagram, must fill it exactly (templates, options, data sets of id 256 and up).
public enum FlowExportInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let version = p.u16(0) else { return .no }
        switch version {
        case 5:
            guard let count = p.u16(2), (1...30).contains(count), p.count == 24 + 48 * Int(count) else { return .no }
            c.identify(.netflow, .cleartext)
            c.details().banner = "NetFlow v5, \(count) records"
        case 9:
            guard p.count >= 24, sets(p, from: 20, templateIDs: 0...1) else { return .no }
            c.identify(.netflow, .cleartext)
            c.details().banner = "NetFlow v9"
        case 10:
            guard let length = p.u16(2), Int(length) == p.count, p.count >= 20, sets(p, from: 16, templateIDs: 2...3) else { return .no }
            c.identify(.ipfix, .cleartext)
            c.details().banner = "IPFIX"
        case 0:
            guard let samples = sflow(p) else { return .no }
            c.identify(.sflow, .cleartext)
            c.details().banner = "sFlow v5, \(samples) samples"
        default:
            return .no
        }
        return .yes
    }

    /// sFlow v5: version 5 (32 bits), the agent's address (IPv4 or IPv6), sub-agent,
    /// sequence number, uptime and sample count, then (format, length) samples that
    /// fill the datagram exactly. Returns the sample count.
    static func sflow(_ p: Bytes) -> Int? {
        guard p.u32(0) == 5, let type = p.u32(4), type == 1 || type == 2 else { return nil }
        var off = 8 + (type == 1 ? 4 : 16) + 12
        guard let count = p.u32(off), count > 0, count <= 256 else { return nil }
        off += 4
        for _ in 0..<count {
            guard let len = p.u32(off + 4), len <= 65_535, off + 8 + Int(len) <= p.count else { return nil }
            off += 8 + Int(len)
        }
        return off == p.count ? Int(count) : nil
    }

    /// Sets (id, length) from `start` that end exactly at the datagram's end; ids are
    /// the version's template and options ids, or data sets (256 and up).
    static func sets(_ p: Bytes, from start: Int, templateIDs: ClosedRange<UInt16>) -> Bool {
        var off = start
        var n = 0
        while off < p.count {
            guard let id = p.u16(off), let len = p.u16(off + 2), len >= 4, templateIDs.contains(id) || id >= 256,
                  off + Int(len) <= p.count, n < 256 else { return false }
            off += Int(len)
            n += 1
        }
        return n > 0 && off == p.count
    }
}

/// GTP-C, the mobile core's control plane (3GPP TS 29.060 for version 1, TS 29.274 for
/// version 2): sessions are created, changed and deleted in clear, subscriber identities
/// (IMSI, MSISDN) and addresses included. Version 2's information elements (type, length,
/// instance, value) must tile the message exactly; version 1 (whose elements have
/// lengths fixed by their type) needs its header to fit the datagram and GTP-C's port.
public enum GTPControlInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let flags = p.u8(0), let type = p.u8(1), type != 0, let len = p.u16(2) else { return .no }
        switch flags >> 5 {
        case 1:
            // Version 1, protocol type GTP; G-PDUs (255) are the user plane's.
            guard c.port(2123), flags & 0x18 == 0x10, type != 255, Int(len) + 8 == p.count else { return .no }
        case 2:
            guard version2(p, flags: flags, length: Int(len)) else { return .no }
        default:
            return .no
        }
        c.identify(.gtpc)
        return .yes
    }

    /// Header: flags (version 2, piggybacking P 0x10, TEID present T 0x08, message
    /// priority 0x04), type, length of what follows the first 4 bytes, the TEID when T,
    /// a 3-byte sequence number and a spare byte; then the elements. A piggybacked
    /// message may follow the first.
    static func version2(_ p: Bytes, flags: UInt8, length: Int) -> Bool {
        guard flags & 0x03 == 0 else { return false }
        let end = 4 + length
        guard flags & 0x10 != 0 ? end < p.count : end == p.count else { return false }
        var off = flags & 0x08 != 0 ? 12 : 8
        guard off <= end else { return false }
        var elements = 0
        while off < end {
            guard elements < 256, let t = p.u8(off), t != 0, let l = p.u16(off + 1) else { return false }
            off += 4 + Int(l)
            elements += 1
        }
        return off == end && elements > 0
    }
}

/// DCE/RPC over TCP (MS-RPC: the endpoint mapper on 135, DCOM, WMI and the dynamic
/// ports they hand out): a 16-byte header (version 5.0 or 5.1, PDU type, flags, data
/// representation, fragment and authentication lengths, call id). When a PDU is
/// authenticated, the trailer before its credentials names the level: 6, packet privacy,
/// encrypts the stub data; lower levels sign it at most. A bind without authentication,
/// or one below privacy, is cleartext; a later PDU that asks for privacy makes the flow
/// encrypted.
public enum DCERPCInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// PDU types a connection opens with (bind, alter context) or answers them with.
    static let opening: ClosedRange<UInt8> = 11...15

    /// The PDU's type and, when it is authenticated and whole in the segment, its
    /// authentication type and level; nil when the header is not DCE/RPC's.
    static func header(_ p: Bytes) -> (type: UInt8, auth: (type: UInt8, level: UInt8)?)? {
        guard p.u8(0) == 5, let minor = p.u8(1), minor <= 1, let type = p.u8(2), type <= 20,
              let rep = p.u8(4), rep & 0xe0 == 0, let f = p.u16(8), let a = p.u16(10) else { return nil }
        let little = rep & 0x10 != 0
        let frag = Int(little ? f.byteSwapped : f), authLength = Int(little ? a.byteSwapped : a)
        guard frag >= 16, authLength + 8 + 16 <= frag || authLength == 0 else { return nil }
        guard authLength > 0, frag <= p.count, let authType = p.u8(frag - authLength - 8),
              let level = p.u8(frag - authLength - 7), (1...6).contains(level) else { return (type, nil) }
        return (type, (authType, level))
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let h = header(p), opening.contains(h.type) || c.port(135) else { return .no }
        judge(&c, h.auth)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if let h = header(p), let auth = h.auth, auth.level == 6 { judge(&c, auth) }
    }

    static func judge(_ c: inout InspectionContext, _ auth: (type: UInt8, level: UInt8)?) {
        guard let auth else {
            c.identify(.dcerpc, .cleartext, keepInspecting: true)
            c.details().banner = "DCE/RPC without authentication"
            return
        }
        let privacy = auth.level == 6
        c.identify(.dcerpc, privacy ? .encrypted : .cleartext, keepInspecting: !privacy)
        let mechanism: String
        switch auth.type {
        case 9: mechanism = "SPNEGO"
        case 10: mechanism = "NTLMSSP"
        case 16: mechanism = "Kerberos"
        case 0x44: mechanism = "Netlogon"
        default: mechanism = "auth type \(auth.type)"
        }
        let level = ["none", "connect", "call", "packet", "integrity", "privacy"][Int(auth.level) - 1]
        c.details().banner = "DCE/RPC \(mechanism), \(level)"
    }
}
