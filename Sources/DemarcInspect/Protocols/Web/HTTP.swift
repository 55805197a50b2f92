import DemarcBase
import DemarcDecode
#if canImport(Glibc)
import Glibc
#endif
/// HTTP/1.x: a request line (method, target, HTTP/1.x) or a status line. Records the
/// method, host and path. A CONNECT tunnel that then carries TLS is an upgrade. HTTP/2
/// without TLS (h2c with prior knowledge, as cleartext gRPC and 5G service interfaces
/// use) is recognised by its connection preface: cleartext HTTP, `banner` says so, and
/// method, authority and path come from the first HEADERS frame (HPACK, Huffman included).
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
            c.enter(Phase.h2c)
            c.details().banner = "HTTP/2 (h2c, prior knowledge)"
            http2Request(&c, p, from: 24)
            return .yes
        case .request(let method, let target, let host):
            let ssdp = target == "*" && (method == "M-SEARCH" || method == "NOTIFY")
            // Followed until the response: after a 401 or 407 the client's next requests
            // are watched for the credentials it retries with.
            c.identify(ssdp ? .ssdp : .http, .cleartext, keepInspecting: true)
            c.details().slot(Request()).set(method: method, path: target, host: host,
                                            orTarget: method == "CONNECT" ? target : nil)
            basicAuthorization(&c, p)
            return .yes
        case .response:
            c.identify(.http, .cleartext, keepInspecting: true)
            return .yes
        }
    }

    enum Phase: UInt8, ProtocolPhase {
        case http1
        /// The flow opened with the HTTP/2 preface: frames follow.
        case h2c = 2
    }

    /// The flow's slot: the request the report shows (its `http` object).
    final class Request: FlowSlot {
        var method: String?
        var path: String?
        var host: String?

        /// A request's fields, bounded; a CONNECT without a Host header names its target.
        func set(method: String?, path: String?, host: String?, orTarget target: String? = nil) {
            self.method = method
            self.path = path.map { $0.prefix(characters: 512) }
            self.host = host.map { $0.prefix(characters: 255) } ?? target
        }

        override var reports: Bool { true }

        override func report(_ r: inout FlowDetails.Reported) {
            r.httpMethod = method
            r.httpPath = path
            r.httpHost = host
        }
    }

    /// Method, host and path from the client's first HEADERS frame.
    static func http2Request(_ c: inout InspectionContext, _ p: Bytes, from start: Int) {
        guard c.fromClient, let r = HPACK.firstRequest(p, from: start), r.method != nil || r.path != nil else { return }
        c.details().slot(Request()).set(method: r.method, path: r.path, host: r.authority)
        c.state.active = false
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.phase(Phase.self) == .h2c {
            // Frames begin where a segment does as a rule; the budget ends the search.
            http2Request(&c, p, from: 0)
            return
        }
        let method = c.existingDetails()?[Request.self]?.method
        // A CONNECT tunnel, or a flow whose response came first, may carry TLS next.
        if method == nil || method == "CONNECT" {
            if Upgrade.tlsStarts(&c, p) { return }
        }
        guard c.fromClient else {
            // The response: only a challenge (401, 407) makes the next requests worth reading.
            if let m = method, m != "CONNECT", !isChallenge(p) { c.state.active = false }
            return
        }
        if case .request(let m, let t, let h) = parse(p) {
            // A response may come first (mid-stream); the request that follows names the host.
            if method == nil { c.details().slot(Request()).set(method: m, path: t, host: h) }
            basicAuthorization(&c, p)
        }
        // A few requests are enough to see a login; a tunnel is watched for its TLS.
        if c.index >= 3 && c.existingDetails()?[Request.self]?.method != "CONNECT" { c.state.active = false }
    }

    /// `Authorization: Basic` or `Proxy-Authorization: Basic` in a request's headers: a
    /// credential, with the user name before the colon of the decoded pair.
    static func basicAuthorization(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        var i = 0
        let limit = min(p.count, 8192)
        while i < limit, let nl = lineFeed(p, from: i, limit: limit - i) {
            let line = nl + 1
            let at = p.startsCaseless(with: "Authorization: Basic ", at: line) ? line + 21
                : p.startsCaseless(with: "Proxy-Authorization: Basic ", at: line) ? line + 27 : nil
            if let at {
                let end = p.find(0x0d, from: at, limit: 1024) ?? p.find(0x0a, from: at, limit: 1024) ?? limit
                if let decoded = Base64.decode(p.text(at, end - at)), let colon = decoded.firstIndex(of: 0x3a) {
                    Credentials.add(&c, .httpBasic, user: String(decoding: decoded[..<colon], as: UTF8.self))
                }
                return
            }
            if nl + 2 < p.count && p.u8(nl + 1) == 0x0d && p.u8(nl + 2) == 0x0a { return }   // end of headers
            i = line
        }
    }

    /// The first LF at or after `from` within `limit` bytes, found by memchr: a request's
    /// headers are read to their end for each request, and most hold no credential.
    static func lineFeed(_ p: Bytes, from: Int, limit: Int) -> Int? {
        let end = min(p.count, from + limit)
        guard from >= 0, from < end, let base = p.base.baseAddress else { return nil }
        guard let hit = memchr(base + from, 0x0a, end - from) else { return nil }
        return UnsafeRawPointer(hit) - base
    }

    /// A 401 or 407 status line: the client will retry with credentials.
    static func isChallenge(_ p: Bytes) -> Bool {
        (p.starts(with: "HTTP/1.1 40") || p.starts(with: "HTTP/1.0 40")) && (p.u8(11) == UInt8(ascii: "1") || p.u8(11) == UInt8(ascii: "7"))
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
