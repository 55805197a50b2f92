/// HTTP/1.x: a request line (method, target, HTTP/1.x) or a status line. Records the
/// method, host and path. A CONNECT tunnel that then carries TLS is an upgrade.
public enum HTTPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let methods: [StaticString] = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ",
                                          "TRACE ", "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ",
                                          "UNLOCK ", "REPORT ", "SEARCH ", "SUBSCRIBE ", "NOTIFY ", "M-SEARCH ",
                                          "UNSUBSCRIBE ", "MKCALENDAR ", "PURGE ", "BPROPFIND ", "POLL ",
                                          // HTTP/2 with prior knowledge (h2c, cleartext gRPC): its preface.
                                          "PRI "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let r = parse(p)
        switch r {
        case .no: return .no
        case .notYet: return c.index < 2 ? .notYet : .no
        case .request(let method, let target, _) where method == "PRI" && target == "*":
            // The HTTP/2 connection preface; frames follow, headers HPACK-compressed.
            c.identify(.http, .cleartext, keepInspecting: true)
            c.state.phase = h2c
            c.details().banner = "HTTP/2 (h2c, prior knowledge)"
            http2Request(&c, p, from: 24)
            return .yes
        case .request(let method, let target, let host):
            let ssdp = target == "*" && (method == "M-SEARCH" || method == "NOTIFY")
            c.identify(ssdp ? .ssdp : .http, .cleartext, keepInspecting: method == "CONNECT")
            let d = c.details()
            d.httpMethod = method
            d.httpPath = String(target.prefix(512))
            d.httpHost = host.map { String($0.prefix(255)) } ?? (method == "CONNECT" ? target : nil)
            return .yes
        case .response:
            c.identify(.http, .cleartext, keepInspecting: true)
            return .yes
        }
    }

    /// `InspectState.phase` of a flow that opened with the HTTP/2 preface.
    static let h2c: UInt8 = 2

    /// Method, host and path from the client's first HEADERS frame.
    static func http2Request(_ c: inout InspectionContext, _ p: Bytes, from start: Int) {
        guard c.fromClient, let r = HPACK.firstRequest(p, from: start), r.method != nil || r.path != nil else { return }
        let d = c.details()
        d.httpMethod = r.method
        d.httpPath = r.path.map { String($0.prefix(512)) }
        d.httpHost = r.authority.map { String($0.prefix(255)) }
        c.state.active = false
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.state.phase == h2c {
            // Frames begin where a segment does as a rule; the budget ends the search.
            http2Request(&c, p, from: 0)
            return
        }
        if Upgrade.tlsStarts(&c, p) { return }
        // A response may come first (mid-stream); the request that follows names the host.
        if c.fromClient, c.details().httpMethod == nil, case .request(let m, let t, let h) = parse(p) {
            let d = c.details()
            d.httpMethod = m
            d.httpPath = String(t.prefix(512))
            d.httpHost = h.map { String($0.prefix(255)) }
            if m != "CONNECT" { c.state.active = false }
        }
    }

    enum Parsed {
        case no, notYet
        case request(method: String, target: String, host: String?)
        case response
    }

    static func parse(_ p: Bytes) -> Parsed {
        if p.starts(with: "HTTP/1.") {
            return p.count >= 12 && p.u8(8) == 0x20 ? .response : .no
        }
        guard let first = p.u8(0), first >= 0x41 && first <= 0x5a else { return .no }
        guard let method = methods.first(where: { p.starts(with: $0) }) else {
            // A method split across segments.
            return p.count < 8 && methods.contains { m in p.count < m.utf8CodeUnitCount && Bytes.prefixMatches(p, m) } ? .notYet : .no
        }
        let mlen = method.utf8CodeUnitCount
        // Servers accept runs of spaces around the target; evasive clients use them.
        var start = mlen
        while p.u8(start) == 0x20 { start += 1 }
        guard let sp = p.find(0x20, from: start, limit: 8192) else { return p.count < 8192 ? .notYet : .no }
        var version = sp
        while p.u8(version) == 0x20 { version += 1 }
        guard p.starts(with: "HTTP/1.", at: version) || p.starts(with: "HTTP/2", at: version) else { return .no }
        let target = p.text(start, sp - start)
        return .request(method: p.text(0, mlen - 1), target: target, host: header(p, "host:"))
    }

    /// A header's value from the first packet of a request.
    static func header(_ p: Bytes, _ name: StaticString) -> String? {
        var i = 0
        while let nl = p.find(0x0a, from: i, limit: 16384) {
            let line = nl + 1
            if p.startsCaseless(with: name, at: line) {
                var start = line + name.utf8CodeUnitCount
                while p.u8(start) == 0x20 { start += 1 }
                var end = start
                while let b = p.u8(end), b != 0x0d, b != 0x0a { end += 1 }
                return p.text(start, end - start)
            }
            if p.u8(line) == 0x0d || p.u8(line) == 0x0a { return nil }
            i = line
        }
        return nil
    }
}

extension Bytes {
    /// Whether all of `p` is a prefix of `s`.
    static func prefixMatches(_ p: Bytes, _ s: StaticString) -> Bool {
        let n = min(p.count, s.utf8CodeUnitCount)
        let sp = s.utf8Start
        for i in 0..<n where p.base[i] != sp[i] { return false }
        return true
    }
}

/// SIP: request lines ending in SIP/2.0, and SIP/2.0 status lines.
public enum SIPInspector: ProtocolInspector {
    public static let transports: Transports = .both
    static let methods: [StaticString] = ["INVITE ", "REGISTER ", "OPTIONS ", "ACK ", "BYE ", "CANCEL ", "NOTIFY ",
                                          "SUBSCRIBE ", "MESSAGE ", "INFO ", "PRACK ", "UPDATE ", "REFER ", "PUBLISH "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var ok = p.starts(with: "SIP/2.0 ")
        if !ok, let m = methods.first(where: { p.starts(with: $0) }) {
            ok = p.startsCaseless(with: "sip:", at: m.utf8CodeUnitCount) || p.startsCaseless(with: "sips:", at: m.utf8CodeUnitCount)
        }
        guard ok else { return .no }
        c.identify(.sip, keepInspecting: true)
        c.details().banner = p.firstLine(limit: 160)
        follow(&c, p)
        return .yes
    }

    /// SDP offers and answers that carry SDES keys (RFC 4568 `a=crypto:` … `inline:`):
    /// the SRTP master keys of the call travel in this cleartext signalling, so anyone
    /// who reads it can decrypt the media. `banner` says so once.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard carriesSDESKeys(p) else { return }
        let d = c.details()
        d.banner = (d.banner.map { $0 + "; " } ?? "") + "SRTP keys in clear (SDP a=crypto)"
        // Nothing left to learn: SIP's verdict never changes.
        c.state.active = false
    }

    static func carriesSDESKeys(_ p: Bytes) -> Bool {
        var i = 0
        while let a = p.find(UInt8(ascii: "a"), from: i) {
            if p.starts(with: "a=crypto:", at: a) {
                let end = p.find(0x0a, from: a) ?? p.count
                var j = a + 9
                while j + 7 <= end {
                    if p.starts(with: "inline:", at: j) { return true }
                    j += 1
                }
            }
            i = a + 1
        }
        return false
    }
}

/// RTSP: request lines ending in RTSP/1.0 or 2.0, and RTSP status lines.
public enum RTSPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "RTSP/1.0 ") || p.starts(with: "RTSP/2.0 ") {
            c.identify(.rtsp); return .yes
        }
        guard let sp = p.find(0x20, limit: 16), p.startsCaseless(with: "rtsp://", at: sp + 1) || p.starts(with: "* RTSP/", at: sp + 1) else { return .no }
        c.identify(.rtsp)
        return .yes
    }
}

/// An inspector of a cleartext protocol that may upgrade in band to TLS: after it claims
/// the flow, each later packet is watched for the TLS hello that starts the upgrade.
public protocol UpgradesToTLS: ProtocolInspector {}

extension UpgradesToTLS {
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        _ = Upgrade.tlsStarts(&c, p)
    }
}

/// In-band upgrades to TLS (STARTTLS and its kin, CONNECT tunnels, database SSL
/// requests): once a TLS hello follows, the flow is encrypted and TLS is parsed on.
enum Upgrade {
    static let tlsOwner = PayloadInspector.owner(of: TLSInspector.self)

    static func tlsStarts(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        guard p.u8(0) == 0x16, p.u8(1) == 0x03, let hs = p.u8(5), hs == 1 || hs == 2 else { return false }
        c.state.upgraded = true
        c.state.state = .encrypted
        c.state.basis = .protocol
        c.state.owner = tlsOwner
        c.state.active = true
        TLSInspector.follow(&c, p)
        return true
    }
}
