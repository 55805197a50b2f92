/// SSH: the identification banner (`SSH-2.0-…`) opens both directions.
public enum SSHInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "SSH-") else { return c.index == 0 && p.count < 4 && p.starts(with: "S") ? .notYet : .no }
        let line = p.firstLine(limit: 255)
        let v1 = line.hasPrefix("SSH-1.") && !line.hasPrefix("SSH-1.99")
        c.identify(.ssh, .encrypted)
        c.state.versionKind = .ssh
        c.state.version = v1 ? 1 : 2
        if v1 {
            c.state.weak = true
            c.details().note = "SSH protocol 1"
        }
        c.details().banner = line
        return .yes
    }
}

/// WireGuard: four message types, each a type byte and three zero bytes. The standard
/// sizes (initiation 148, response 92, cookie 64) identify it at once. Deployments that
/// pad or extend the handshake are confirmed by its indices instead: a response whose
/// receiver index is the initiation's sender index. Transport data seen without the
/// handshake (the capture began later) is confirmed by a second data packet the same
/// way under the same receiver index with a counter a little higher.
public enum WireGuardInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let t = p.u8(0), p.u8(1) == 0, p.u8(2) == 0, p.u8(3) == 0, let index = p.u32(4) else { return .no }
        let probe = c.existingDetails()?.probe
        switch t {
        case 1 where p.count == 148, 2 where p.count == 92, 3 where p.count == 64:
            break
        case 4 where p.count >= 32 && (p.count - 16) % 16 == 0:
            if c.port(51820) { break }
            // Receiver index (low 32 bits), counter's low 31 bits, direction (top bit).
            guard let counter = p.u64(8)?.byteSwapped, counter < 1 << 31 else { return .no }
            let mark = UInt64(index) | counter << 32 | (c.fromClient ? 1 << 63 : 0)
            if let probe {
                let same = probe & 0x8000_0000_ffff_ffff == mark & 0x8000_0000_ffff_ffff
                let before = (probe >> 32) & 0x7fff_ffff
                if same && counter > before && counter - before <= 64 { break }
                if same || (probe >> 63) != (mark >> 63) { return c.index < 4 ? .notYet : .no }
                return .no
            }
            c.details().probe = mark
            return .notYet
        case 1 where p.count > 148 && p.count <= 512:
            guard c.fromClient, probe == nil else { return .no }
            c.details().probe = UInt64(index)
            return .notYet
        case 2 where p.count > 92 && p.count <= 512:
            guard !c.fromClient, let probe, p.u32(8) == UInt32(truncatingIfNeeded: probe) else { return .no }
        default:
            return .no
        }
        c.existingDetails()?.probe = nil
        c.identify(.wireguard)
        return .yes
    }
}

/// OpenVPN: its control channel opens with a hard-reset opcode (TCP: after a 2-byte
/// length).
public enum OpenVPNInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// A hard reset: client v2/v3 or server v2, key id 0, a session id. One byte of
    /// opcode is weak evidence (an ONC RPC call id can look the same), so the client's
    /// reset only makes a candidate. The flow is OpenVPN once the session is confirmed:
    /// the server's reset acknowledges the client's session id, or the client goes on
    /// (a control or ACK packet) under the same session id, which is what shows when
    /// tls-crypt hides the server's acknowledgement.
    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var off = 0
        if c.isTCP {
            guard let len = p.u16(0), Int(len) + 2 <= p.count || p.count >= 1400, len >= 14 else { return .no }
            off = 2
        }
        guard let op = p.u8(off), p.count - off >= 14, let session = p.u64(off + 1) else { return .no }
        let opcode = op >> 3, keyID = op & 7
        guard keyID == 0 else { return .no }
        // Detail memory only for flows that pass the opcode test.
        let candidate = c.existingDetails()?.probe
        if c.fromClient {
            let reset = opcode == 7 || opcode == 10
            guard let candidate else {
                guard reset, !(c.isUDP && p.count - off > 400) else { return .no }
                c.details().probe = session
                return .notYet
            }
            guard session == candidate else { return .no }
            if reset { return .notYet }    // the reset again (retransmitted)
            guard opcode == 4 || opcode == 5 else { return .no }
        } else if c.state.packetsToServer == 0 {
            // Only the server is seen so far (a one-way capture): its reset makes the
            // candidate, its next control or ACK packet under that session confirms it.
            guard let candidate else {
                guard opcode == 8, !(c.isUDP && p.count - off > 400) else { return c.index < 2 ? .notYet : .no }
                c.details().probe = session
                return .notYet
            }
            guard session == candidate else { return .no }
            if opcode == 8 { return .notYet }
            guard opcode == 4 || opcode == 5 else { return .no }
        } else {
            guard let candidate else { return c.index < 2 ? .notYet : .no }
            guard opcode == 8 else { return .no }
            if !acknowledges(p, from: off + 9, session: candidate) { return .notYet }
        }
        c.existingDetails()?.probe = nil
        c.identify(.openvpn)
        return .yes
    }

    /// The client's session id among the server reset's first bytes (its ACK's remote
    /// session id, after an optional HMAC and packet id).
    static func acknowledges(_ p: Bytes, from start: Int, session: UInt64) -> Bool {
        var i = start
        while i + 8 <= min(p.count, start + 80) {
            if p.u64(i) == session { return true }
            i += 1
        }
        return false
    }
}

/// tinc VPN's meta connection: an ID line ("0 name 17.7"), then the key exchange, after
/// which everything is encrypted (like SSH after its banners).
public enum TincInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.index == 0, p.starts(with: "0 "), let nl = p.find(0x0a, from: 2, limit: 80) else { return .no }
        // "0 NAME 17" or "0 NAME 17.MINOR": a node name of letters, digits and underscores.
        var i = 2
        while let b = p.u8(i), b == 0x5f || (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) {
            i += 1
        }
        guard i > 2, p.starts(with: " 17", at: i) else { return .no }
        i += 3
        if p.u8(i) == 0x2e { i += 1; while let b = p.u8(i), (0x30...0x39).contains(b) { i += 1 } }
        guard i == nl else { return .no }
        c.identify(.tinc, .encrypted)
        c.details().banner = p.text(0, nl)
        return .yes
    }
}

/// IKE (UDP 500, and 4500 behind a non-ESP marker) and ESP in UDP (NAT traversal).
public enum IKEInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let natT = c.port(4500)
        guard natT || c.port(500) else { return .no }
        var off = 0
        if natT {
            if p.count == 1 && p.u8(0) == 0xff { return .notYet } // NAT keepalive
            guard let marker = p.u32(0) else { return .no }
            if marker != 0 {
                // ESP in UDP: SPI then sequence number, then ciphertext.
                guard p.count >= 16 else { return .no }
                c.identify(.esp)
                return .yes
            }
            off = 4
        }
        guard let spi = p.u64(off), spi != 0, let version = p.u8(off + 17), version == 0x10 || version == 0x20,
              let exch = p.u8(off + 18), let len = p.u32(off + 24), len >= 28 else { return .no }
        guard (version == 0x20 && (34...43).contains(exch)) || (version == 0x10 && (exch <= 6 || exch == 32)) else { return .no }
        c.identify(.ike)
        return .yes
    }
}

/// Overlay encapsulations: VXLAN (RFC 7348) and Geneve (RFC 8926) over UDP, GRE and
/// ERSPAN as their own IP protocol. Each is recognised by its header and by the packet it carries (an
/// Ethernet frame or IP packet whose own header is sound), never by port. None of them
/// encrypts: whatever the inner payload, its addresses, ports and cleartext protocols
/// travel readable, so the flow is cleartext. The banner names the virtual network
/// (VNI) and the first inner packet's endpoints.
public enum OverlayInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    /// What an overlay header says: the virtual network, and where the carried frame
    /// or packet starts. Text is made only once the inner packet has proved sound.
    struct Encapsulation {
        enum Network {
            case vni(UInt32)
            case teid(UInt32)
            case gre(key: UInt32?)
            case erspan(type: Int, session: UInt16?)
        }
        var app: AppProtocol
        var network: Network
        var inner: Bytes
        var ethernet: Bool
        /// A mirror copies whatever crossed the port: any Ethernet frame will do there.
        var mirrored: Bool {
            if case .erspan = network { return true }
            return false
        }

        var networkName: String {
            switch network {
            case .vni(let v): return "VNI \(v)"
            case .teid(let t): return "TEID 0x" + String(t, radix: 16)
            case .gre(let key): return key.map { "GRE key \($0)" } ?? "GRE"
            case .erspan(let type, let session):
                let name = "ERSPAN type " + ["I", "II", "III"][type - 1]
                return session.map { name + " session \($0)" } ?? name
            }
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if claim(&c, vxlan(p) ?? geneve(p) ?? gtpUser(p)) { return .yes }
        if let message = gtpPathMessage(p) {
            // GTP-U's own signalling on the tunnel's path: the tunnel, cleartext, before
            // (or without) the user's packets.
            c.identify(.gtpu, .cleartext, keepInspecting: true)
            c.details().banner = "GTP-U " + message
            return .yes
        }
        return .no
    }

    /// A GTP-U path that signalled first: its first user packet names the tunnel.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let e = gtpUser(p), let summary = innerSummary(e.inner, ethernet: false) else { return }
        c.details().banner = "\(e.networkName): \(summary)"
        c.state.active = false
    }

    /// GTP-U (3GPP TS 29.281): flags with version 1 and protocol type GTP (0x30; E, S and
    /// PN add a 4-byte field, E a chain of extension headers, each a length in 4-byte
    /// words and the next type), message type, the length of all that follows the first
    /// 8 bytes, and the tunnel endpoint id. A G-PDU (255) carries the user's IP packet.
    /// Mobile networks carry subscribers' traffic this way between base stations and
    /// the core: it encrypts nothing (3GPP leaves that to IPsec on the backhaul).
    static func gtpUser(_ p: Bytes) -> Encapsulation? {
        guard let (type, off) = gtpHeader(p), type == 255, let teid = p.u32(4) else { return nil }
        return Encapsulation(app: .gtpu, network: .teid(teid), inner: p.slice(off, -1), ethernet: false)
    }

    /// GTP-U path management and tunnel messages with a sound header: echo request and
    /// response, error indication, supported extension headers, end marker.
    static func gtpPathMessage(_ p: Bytes) -> String? {
        guard let (type, _) = gtpHeader(p) else { return nil }
        switch type {
        case 1: return "echo request"
        case 2: return "echo response"
        case 26: return "error indication"
        case 31: return "supported extension headers"
        case 254: return "end marker"
        default: return nil
        }
    }

    /// The message type and where the message's body starts, when the GTPv1 header (and
    /// its extension header chain) fits the datagram exactly.
    static func gtpHeader(_ p: Bytes) -> (UInt8, Int)? {
        guard let flags = p.u8(0), flags & 0xf8 == 0x30, let type = p.u8(1), let len = p.u16(2),
              Int(len) + 8 == p.count else { return nil }
        var off = 8
        guard flags & 0x07 != 0 else { return (type, off) }
        guard var next = p.u8(11) else { return nil }
        off = 12
        if flags & 0x04 == 0 { next = 0 }
        var hops = 0
        while next != 0 {
            guard hops < 8, let words = p.u8(off), words > 0, p.has(off, Int(words) * 4) else { return nil }
            off += Int(words) * 4
            next = p.u8(off - 1) ?? 0
            hops += 1
        }
        return (type, off)
    }

    /// GRE flows: an IP protocol of its own, not a UDP port, so the payload inspector
    /// hands their packets here directly. True when the flow is claimed.
    static func identifyGRE(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        claim(&c, gre(p))
    }

    /// Claims the flow when the header carries a sound frame or packet; the banner names
    /// the network and that first inner packet.
    private static func claim(_ c: inout InspectionContext, _ e: Encapsulation?) -> Bool {
        guard let e, let summary = innerSummary(e.inner, ethernet: e.ethernet, anyFrame: e.mirrored) else { return false }
        c.identify(e.app, .cleartext)
        c.details().banner = "\(e.networkName): \(summary)"
        return true
    }

    /// 8-byte header: flags with I (0x08; G 0x80 for group policy), VNI, reserved zero.
    static func vxlan(_ p: Bytes) -> Encapsulation? {
        guard let flags = p.u8(0), flags == 0x08 || flags == 0x88, p.u8(7) == 0, let word = p.u32(4), p.count >= 8 + 14 else { return nil }
        if flags == 0x08, p.u16(2) != 0 || p.u8(1) != 0 { return nil }
        return Encapsulation(app: .vxlan, network: .vni(word >> 8), inner: p.slice(8, -1), ethernet: true)
    }

    /// Version 0, options length in 4-byte words, protocol type, VNI, reserved zero.
    static func geneve(_ p: Bytes) -> Encapsulation? {
        guard let b0 = p.u8(0), let b1 = p.u8(1), b1 & 0x3f == 0, let type = p.u16(2), let word = p.u32(4), word & 0xff == 0,
              type == 0x6558 || type == 0x0800 || type == 0x86dd else {
            return nil
        }
        let options = Int(b0 & 0x3f) * 4
        guard p.has(8 + options, 20) else { return nil }
        return Encapsulation(app: .geneve, network: .vni(word >> 8), inner: p.slice(8 + options, -1), ethernet: type == 0x6558)
    }

    /// GRE version 0 (RFC 2784, keys and sequence numbers of RFC 2890) carrying IP,
    /// Ethernet, or mirrored frames (ERSPAN types I and II, 0x88BE; type III, 0x22EB).
    /// PPTP's enhanced GRE (version 1) carries PPP, which may be MPPE encrypted: not
    /// claimed.
    static func gre(_ p: Bytes) -> Encapsulation? {
        guard let flags = p.u8(0), let b1 = p.u8(1), b1 & 0x07 == 0, flags & 0x4f == 0, let type = p.u16(2) else { return nil }
        var off = 4
        if flags & 0x80 != 0 { off += 4 }
        var key: UInt32?
        if flags & 0x20 != 0 {
            guard let k = p.u32(off) else { return nil }
            key = k
            off += 4
        }
        let sequenced = flags & 0x10 != 0
        if sequenced { off += 4 }
        var network = Encapsulation.Network.gre(key: key)
        switch type {
        case 0x0800, 0x86dd, 0x6558:
            break
        case 0x88be where !sequenced:
            // ERSPAN type I: the mirrored frame follows at once.
            network = .erspan(type: 1, session: nil)
        case 0x88be, 0x22eb:
            // ERSPAN type II (8-byte header, version 1) or III (12 bytes, version 2, and
            // an 8-byte platform subheader when its O bit is set).
            guard let head = p.u16(off), let word = p.u16(off + 2) else { return nil }
            let version = head >> 12
            if type == 0x88be {
                guard version == 1 else { return nil }
                off += 8
            } else {
                // Frame type (5 bits of byte 10): 0 is Ethernet, the only one read.
                guard version == 2, let ft = p.u8(off + 10), (ft >> 2) & 0x1f == 0, let last = p.u8(off + 11) else { return nil }
                off += 12 + (last & 0x01 != 0 ? 8 : 0)
            }
            network = .erspan(type: type == 0x88be ? 2 : 3, session: word & 0x3ff)
        default:
            return nil
        }
        let e = Encapsulation(app: .gre, network: network, inner: p.slice(off, -1), ethernet: type != 0x0800 && type != 0x86dd)
        guard p.has(off, e.mirrored ? 14 : 20) else { return nil }
        return e
    }

    /// "10.10.20.4 → 157.240.224.35 tcp/443" for the carried packet, or nil when it is
    /// not a sound Ethernet frame or IP packet (then the flow is not this protocol).
    /// With `anyFrame`, an Ethernet frame of another kind is named by its type.
    static func innerSummary(_ inner: Bytes, ethernet: Bool, anyFrame: Bool = false) -> String? {
        var ip = inner
        if ethernet {
            guard var type = inner.u16(12) else { return nil }
            var off = 14
            while type == 0x8100 || type == 0x88a8, let t = inner.u16(off + 2) { type = t; off += 4 }
            switch type {
            case 0x0806: return inner.has(off, 28) ? "ARP" : nil
            case 0x0800, 0x86dd: ip = inner.slice(off, -1)
            case ...1500 where anyFrame: return "802.3 frame"
            case 0x0600... where anyFrame: return "Ethernet frame, type 0x" + String(type, radix: 16)
            default: return nil
            }
        }
        guard let v = ip.u8(0) else { return nil }
        let src: IPAddress, dst: IPAddress, proto: UInt8, l4: Int
        switch v >> 4 {
        case 4:
            let ihl = Int(v & 0x0f) * 4
            // A zero total length comes from segmentation offload (BIG TCP): trust the capture.
            guard ihl >= 20, ip.has(0, ihl), let total = ip.u16(2), total == 0 || Int(total) >= ihl, let pr = ip.u8(9),
                  let s = ip.u32(12), let d = ip.u32(16) else { return nil }
            src = IPAddress(v4: s); dst = IPAddress(v4: d); proto = pr; l4 = ihl
        case 6:
            guard ip.has(0, 40), let pr = ip.u8(6), let sh = ip.u64(8), let sl = ip.u64(16), let dh = ip.u64(24), let dl = ip.u64(32) else {
                return nil
            }
            src = IPAddress(hi: sh, lo: sl); dst = IPAddress(hi: dh, lo: dl); proto = pr; l4 = 40
        default:
            return nil
        }
        let name = IPProtocol.name(proto)
        if IPProtocol.hasPorts(proto), let port = ip.u16(l4 + 2) {
            return "\(src) → \(dst) \(name)/\(port)"
        }
        return "\(src) → \(dst) \(name)"
    }
}

/// PPTP's control connection (RFC 2637, TCP 1723): messages of a length, type 1
/// (control), the magic cookie 0x1A2B3C4D and a control message type (1-15), in clear,
/// host and vendor names included. The tunnel's data travels apart, as GRE version 1
/// carrying PPP that MPPE may encrypt, and is judged there (left unknown).
public enum PPTPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let len = p.u16(0), len >= 16, p.u16(2) == 1, p.u32(4) == 0x1a2b_3c4d, let type = p.u16(8),
              (1...15).contains(type), p.u16(10) == 0 else { return .no }
        c.identify(.pptp, .cleartext)
        // A start-control-connection request or reply names the sender's host and vendor.
        if type <= 2, len >= 156, p.has(0, 156) {
            let host = p.text(28, 64).prefix { $0 != "\0" }, vendor = p.text(92, 64).prefix { $0 != "\0" }
            let named = [host.isEmpty ? nil : "host \(host)", vendor.isEmpty ? nil : "vendor \(vendor)"].compactMap { $0 }
            if !named.isEmpty { c.details().banner = "PPTP " + named.joined(separator: ", ") }
        }
        return .yes
    }
}

/// L2TP over UDP (RFC 2661 version 2, RFC 3931 version 3): control messages carry the
/// T, L and S flags, a length equal to the datagram's and attribute-value pairs that
/// tile the rest, the first naming the message type; version 2's data messages carry
/// PPP. L2TP encrypts nothing (L2TP/IPsec shows as ESP instead), so the tunnel is
/// cleartext; `banner` gives the host name a peer announces.
public enum L2TPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let flags = p.u8(0), let version = p.u8(1) else { return .no }
        if flags & 0x80 != 0 {
            // Control: T, L and S set, no offset or priority bits; the whole header fixed.
            guard flags & 0xcb == 0xc8, version & 0x0f == 2 || version & 0x0f == 3, let len = p.u16(2),
                  Int(len) == p.count else { return .no }
            let avps = version & 0x0f == 2 ? 12 : 16
            guard let pairs = attributes(p, from: avps) else { return .no }
            c.identify(.l2tp, .cleartext)
            if let host = pairs.hostName { c.details().banner = "L2TP host " + p.text(host.lowerBound, host.count) }
            return .yes
        }
        // Version 2 data: tunnel and session ids (after a length and sequence numbers
        // when flagged), then a PPP frame.
        guard version & 0x0f == 2, flags & 0x34 == 0, c.port(1701) else { return .no }
        var off = 2
        if flags & 0x40 != 0 {
            guard let len = p.u16(2), Int(len) == p.count else { return .no }
            off += 2
        }
        off += 4
        if flags & 0x08 != 0 { off += 4 }
        if flags & 0x02 != 0, let pad = p.u16(off) { off += 2 + Int(pad) }
        guard p.u8(off) == 0xff, p.u8(off + 1) == 0x03 else { return .no }
        c.identify(.l2tp, .cleartext)
        return .yes
    }

    /// Walks attribute-value pairs (flags and a 10-bit length, vendor, type, value) to the
    /// end: nil unless they tile it, the first being the message type (a zero-length
    /// body is a bare acknowledgement); where the host name (type 7) lies, when one is
    /// given (its text is made only once the whole message proved sound).
    struct Attributes { var hostName: Range<Int>? }

    static func attributes(_ p: Bytes, from start: Int) -> Attributes? {
        var off = start
        var host: Range<Int>?
        var count = 0
        while off < p.count {
            guard count < 64, let word = p.u16(off), let vendor = p.u16(off + 2), let type = p.u16(off + 4) else { return nil }
            let len = Int(word & 0x03ff)
            guard len >= 6, word & 0x3c00 == 0, p.has(off, len) else { return nil }
            if count == 0 && (vendor != 0 || type != 0 || len != 8) { return nil }
            if vendor == 0 && type == 7 && word & 0x4000 == 0 && len > 6 && p.isPrintableASCII(off + 6, len - 6) {
                host = (off + 6)..<(off + len)
            }
            off += len
            count += 1
        }
        return off == p.count ? Attributes(hostName: host) : nil
    }
}
