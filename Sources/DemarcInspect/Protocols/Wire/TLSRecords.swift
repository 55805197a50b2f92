import DemarcBase
import DemarcDecode
import Crypto
import X509
import SwiftASN1
#if canImport(Glibc)
import Glibc
#endif

/// The two directions of a TLS (or upgraded) stream being parsed: the flow's TLS slot.
public final class TLSStreams: FlowSlot {
    struct Direction {
        var buffer: [UInt8] = []
        var handshake: [UInt8] = []
        var nextSeq: UInt32?
        var finished = false
        var held: Int { buffer.count + handshake.count }
    }
    // One flow's parser, used from one thread: no dynamic exclusivity checks.
    @exclusivity(unchecked) var toServer = Direction()
    @exclusivity(unchecked) var toClient = Direction()
    @exclusivity(unchecked) var clientHelloSeen = false
    @exclusivity(unchecked) var serverHelloSeen = false
    @exclusivity(unchecked) var dtls = false
    /// TLS 1.2 and older: the suite's key exchange is named by a ServerKeyExchange still
    /// to come (after the certificate).
    @exclusivity(unchecked) var awaitingKeyExchange: String?
    /// Bytes of one record, or of one handshake message, that are gathered across
    /// segments: a certificate chain longer than this is not read.
    static let bufferLimit = 65_536

    var done: Bool { toServer.finished && toClient.finished }
    /// The server's side of the handshake (hello, certificate) was read as far as it goes.
    var serverFlightRead: Bool { toClient.finished }

    override var readingHandshake: Bool { !done }

    /// Given up before the server's flight was read: the record says so, so a
    /// certificate that was not seen is not taken for one that was not sent.
    override func giveUp(_ d: FlowDetails) {
        if !serverFlightRead { d.handshakeIncomplete = true }
    }

    func feed(_ c: inout InspectionContext, _ p: Bytes, details: FlowDetails) {
        if c.fromClient {
            feed(&toServer, &c, p, details)
        } else {
            feed(&toClient, &c, p, details)
        }
        // Past the table's budget for handshake buffers, the handshake is given up.
        if !reassembly.charge(toServer.held + toClient.held, c) {
            toServer = Direction(finished: true)
            toClient = Direction(finished: true)
            details.handshakeIncomplete = true
        }
    }

    private func feed(_ dir: inout Direction, _ c: inout InspectionContext, _ p: Bytes, _ d: FlowDetails) {
        guard !dir.finished else { return }
        // Keep the byte stream in order: skip retransmitted bytes, stop at a gap.
        var start = 0
        if c.isTCP, let next = dir.nextSeq {
            let delta = Int32(bitPattern: c.tcpSeq &- next)
            if delta > 0 { dir.finished = true; d.handshakeIncomplete = true; return }
            start = Int(-delta)
            if start >= p.count { return }
        }
        dir.nextSeq = c.tcpSeq &+ UInt32(p.count)
        let fresh = p.slice(start, -1)
        // Most records arrive whole in one segment and are parsed where they lie; only a
        // record that spans segments is buffered.
        frames(fresh, held: \.buffer, header: 5, length: TLSStreams.recordLength, &dir, d) { records($0, &$1, &c, d) }
        if dir.finished {
            if !dir.buffer.isEmpty { dir.buffer = [] }
            if !dir.handshake.isEmpty { dir.handshake = [] }
        }
    }

    /// A record's length with its 5-byte header, from the header.
    static func recordLength(_ header: Bytes) -> Int { 5 + (Int(header.base[3]) << 8 | Int(header.base[4])) }

    /// A handshake message's length with its 4-byte header, from the header.
    static func messageLength(_ header: Bytes) -> Int {
        4 + (Int(header.base[1]) << 16 | Int(header.base[2]) << 8 | Int(header.base[3]))
    }

    /// Handles the complete records at the start of `b`; returns the bytes they took.
    private func records(_ b: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) -> Int {
        var off = 0
        while !dir.finished {
            guard b.count - off >= 5 else { break }
            let type = b.base[off], len = Int(b.base[off + 3]) << 8 | Int(b.base[off + 4])
            guard (20...24).contains(type), b.base[off + 1] == 3 || b.base[off + 1] == 0xfe else { dir.finished = true; break }
            // ChangeCipherSpec or application data: this side's cleartext handshake is
            // over. The header says so; the body (up to 16 KB over many segments) need
            // not be gathered.
            if type == 20 || type == 23 {
                // Application data before any hello was read (the handshake was not
                // captured): below TLS 1.2 its header names the negotiated version.
                if type == 23, c.state.versionKind == .none, b.base[off + 1] == 3, b.base[off + 2] < 3 {
                    c.state.versionKind = .tls
                    c.state.version = 0x0300 | UInt32(b.base[off + 2])
                    c.state.weak = true
                }
                dir.finished = true
                break
            }
            guard b.count - off >= 5 + len else { break }
            let body = b.slice(off + 5, len)
            off += 5 + len
            switch type {
            case 22:
                if !(serverHelloSeen && c.state.version >= 0x0304 && !c.fromClient) {
                    handshakeRecord(body, &dir, &c, d)
                }
            case 21:
                if len == 2, let level = body.u8(0), level == 2, let what = body.u8(1) { d.note = d.note ?? "TLS alert \(what)" }
            default:
                break
            }
        }
        return off
    }

    /// A handshake record's body: its messages, handled in place unless one spans
    /// records (then gathered in `dir.handshake` first).
    private func handshakeRecord(_ body: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) {
        frames(body, held: \.handshake, header: 4, length: TLSStreams.messageLength, &dir, d) { handshakes($0, &$1, &c, d) }
    }

    /// Parses `fresh` as the next bytes of a stream of frames (records, or handshake
    /// messages) whose unfinished frame `held` holds: where they lie when it holds
    /// nothing, keeping only the start of a frame they cut; after completing the held
    /// frame otherwise (`consumeFrames`). `parse` handles the complete frames at the start
    /// of what it is given and returns the bytes they took. A frame held past
    /// `bufferLimit` ends the direction's reading.
    @inline(__always)
    private func frames(_ fresh: Bytes, held: WritableKeyPath<Direction, [UInt8]>, header: Int, length: (Bytes) -> Int,
                        _ dir: inout Direction, _ d: FlowDetails, _ parse: (Bytes, inout Direction) -> Int) {
        if dir[keyPath: held].isEmpty {
            let used = parse(fresh, &dir)
            if !dir.finished && used < fresh.count { dir[keyPath: held].hold(fresh.slice(used, -1), header: header, length: length) }
        } else {
            // Swapped out while `parse` has the direction.
            var pending = dir[keyPath: held]
            dir[keyPath: held] = []
            pending.consumeFrames(fresh, header: header, length: length) {
                let used = parse($0, &dir)
                return dir.finished ? nil : used
            }
            dir[keyPath: held] = pending
        }
        if dir[keyPath: held].count > TLSStreams.bufferLimit { dir.finished = true; d.handshakeIncomplete = true }
    }

    /// Handles the complete handshake messages at the start of `h`; returns the bytes they took.
    private func handshakes(_ h: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) -> Int {
        var off = 0
        while h.count - off >= 4 {
            let type = h.base[off]
            let len = Int(h.base[off + 1]) << 16 | Int(h.base[off + 2]) << 8 | Int(h.base[off + 3])
            guard h.count - off >= 4 + len else { break }
            handle(type, h.slice(off + 4, len), &dir, &c, d)
            off += 4 + len
            if dir.finished { break }
        }
        return off
    }

    private func handle(_ type: UInt8, _ body: Bytes, _ dir: inout Direction, _ c: inout InspectionContext, _ d: FlowDetails) {
        switch type {
        case 1:
            clientHelloSeen = true
            if let hello = TLSHello.parse(body, client: true, dtls: dtls) {
                d.negotiate(ja4: JA4.fingerprint(hello, transport: dtls ? "d" : "t", cache: c.store.ja4Hashes))
                d.sni = hello.sni ?? d.sni
                d.alpn = hello.alpn ?? d.alpn
                // A hello cut short is fingerprinted, but its version is not taken.
                if c.state.version == 0, hello.whole {
                    c.state.versionKind = dtls ? .dtls : .tls
                    c.state.version = UInt32(hello.offered)
                }
            }
            dir.finished = true
        case 2:
            serverHelloSeen = true
            guard let hello = TLSHello.parse(body, client: false, dtls: dtls) else { dir.finished = true; return }
            c.state.versionKind = dtls ? .dtls : .tls
            c.state.version = UInt32(hello.selected)
            if let weak = TLSHello.weakness(version: hello.selected, suite: hello.cipherSuite, dtls: dtls) {
                c.state.weak = true
                d.note = weak
            }
            if d.alpn == nil { d.alpn = hello.alpn }
            awaitingKeyExchange = TLSStreams.keyExchange(hello, into: d)
            // TLS 1.3 encrypts everything after the ServerHello, certificate included.
            if !dtls && hello.selected >= 0x0304 { dir.finished = true }
        case 11:
            if !dtls, d.certificate == nil { d.certificate = TLSHello.certificate(body, cache: c.store.certificates) }
            if awaitingKeyExchange == nil { dir.finished = true }
        case 12:
            if let kind = awaitingKeyExchange, let n = TLSStreams.serverKeyExchange(body, kind: kind) { d.negotiated(n) }
            awaitingKeyExchange = nil
            dir.finished = true
        case 14:
            dir.finished = true
        default:
            break
        }
    }
}

extension TLSStreams {
    /// Records in `d` what a ServerHello names of the key exchange and cipher; returns
    /// `ECDHE` or `DHE` where a TLS 1.2 ServerKeyExchange is to name the group.
    @discardableResult
    static func keyExchange(_ h: TLSHello.Hello, into d: FlowDetails) -> String? {
        let cipher = CryptoNames.tlsSuite(h.cipherSuite)
        if h.selected >= 0x0304 && h.selected < 0xfe00 || h.selected == 0xfefc {
            if let g = h.keyShareGroup {
                d.negotiate(keyExchange: CryptoNames.tlsGroup(g), postQuantum: CryptoNames.isPostQuantumTLSGroup(g),
                            cipher: cipher)
            } else {
                // A pre-shared key without a (EC)DHE share (psk_ke): no key exchange to judge.
                d.negotiate(keyExchange: h.pskAccepted ? "PSK" : nil, cipher: cipher)
            }
            return nil
        }
        switch CryptoNames.suiteKeyExchange(h.cipherSuite) {
        case "RSA": d.negotiate(keyExchange: "RSA", postQuantum: false, cipher: cipher); return nil
        case "PSK": d.negotiate(keyExchange: "PSK", cipher: cipher); return nil
        case let kind?: d.negotiate(cipher: cipher); return kind
        default: d.negotiate(cipher: cipher); return nil
        }
    }

    /// A TLS 1.2 ServerKeyExchange's group: ECDHE's named curve (RFC 8422 §5.4), or DHE's
    /// prime by its size (`DHE-2048`).
    static func serverKeyExchange(_ b: Bytes, kind: String) -> Negotiated? {
        if kind == "ECDHE" {
            // ECParameters: curve type 3 (named_curve), then the curve.
            guard b.u8(0) == 3, let curve = b.u16(1) else { return nil }
            return Negotiated(keyExchange: CryptoNames.tlsGroup(curve), postQuantum: CryptoNames.isPostQuantumTLSGroup(curve))
        }
        // ServerDHParams: the prime dh_p, length-prefixed, big-endian.
        guard let len = b.u16(0), len > 0, b.has(2, Int(len)) else { return nil }
        var i = 2
        while i < 2 + Int(len) && b.base[i] == 0 { i += 1 }
        guard i < 2 + Int(len) else { return nil }
        let bits = (2 + Int(len) - i) * 8 - b.base[i].leadingZeroBitCount
        return Negotiated(keyExchange: "DHE-\(bits)", postQuantum: false)
    }
}

extension Array where Element == UInt8 {
    /// Stream parsing without copying in the common case: hands `fresh` to `parse`
    /// where it lies when nothing is pending, or after the pending bytes when something
    /// is; `parse` returns how many bytes it used, and only the unused tail is kept.
    mutating func consume(_ fresh: Bytes, _ parse: (Bytes) -> Int) {
        if isEmpty {
            let used = parse(fresh)
            if used < fresh.count { append(contentsOf: fresh.slice(used, -1).base) }
        } else {
            append(contentsOf: fresh.base)
            let all = self
            let used = all.withUnsafeBytes { parse(Bytes($0)) }
            if used > 0 { removeFirst(Swift.min(used, count)) }
        }
    }

    /// Stream parsing of length-prefixed frames (TLS records, handshake messages) when
    /// the array holds the start of a frame that an earlier segment cut: only the bytes
    /// of `fresh` that complete it are copied, the frame is handed to `parse`, and the
    /// rest of `fresh` is parsed where it lies. `length` reads a frame's whole length from
    /// its `header` first bytes; `parse` handles the complete frames at the start of what
    /// it is given and returns the bytes they took, or nil once the stream is read no
    /// further (then nothing is kept). What remains held is an unfinished frame's start.
    mutating func consumeFrames(_ fresh: Bytes, header: Int, length: (Bytes) -> Int, _ parse: (Bytes) -> Int?) {
        var rest = fresh
        while !isEmpty {
            let want = count < header ? header : withUnsafeBytes { length(Bytes($0)) }
            let take = Swift.min(Swift.max(want - count, 0), rest.count)
            if take > 0 {
                append(contentsOf: rest.slice(0, take).base)
                rest = rest.slice(take, -1)
            }
            guard let used = withUnsafeBytes({ parse(Bytes($0)) }) else { removeAll(); return }
            if used > 0 {
                removeFirst(Swift.min(used, count))
            } else if take == 0 || rest.count == 0 {
                // Still short of a whole frame (or not one that parses): it stays held.
                if !rest.isEmpty { append(contentsOf: rest.base) }
                return
            }
        }
        guard let used = parse(rest) else { return }
        if used < rest.count { hold(rest.slice(used, -1), header: header, length: length) }
    }

    /// Holds `start`, the start of a frame cut by its segment's end, in the empty array,
    /// with room for the rest of the frame where its header shows its length, up to as
    /// much again as is held (the reassembly budget charges the bytes held, not the room).
    mutating func hold(_ start: Bytes, header: Int, length: (Bytes) -> Int) {
        if start.count >= header { reserveCapacity(Swift.min(length(start), 2 * start.count)) }
        append(contentsOf: start.base)
    }
}
