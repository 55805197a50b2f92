import DemarcBase
import DemarcDecode

/// QUIC met after its long-header packets (the Initials and Handshakes were not
/// captured): short headers only (RFC 9000 §17.3.1, and the invariants of RFC 8999 §5.2).
/// A short header is one byte, form bit 0 and fixed bit 1 (`01xxxxxx`), whose low five
/// bits are masked by header protection (RFC 9001 §5.4: reserved bits, key phase, packet
/// number length), then the destination connection ID, whose length the packet does not
/// say (the receiver chose it: 0 to 20 bytes), then the protected packet number and the
/// AEAD-sealed payload.
///
/// So a direction of one connection repeats the same connection ID after the first byte,
/// and what follows it differs from packet to packet. The evidence asked for, in one
/// direction (the other may use an empty ID): its packets all have the short header's two
/// top bits; beside a reference packet, each later one shares with it at least 4 and at
/// most 21 bytes after the first byte (the ID; more would be a fixed header, not an ID
/// followed by protected bytes), and what follows looks sealed (`sealed`); the masked low
/// bits of the first byte differ at least once (or, in Google's QUIC, which protects no
/// header, the first byte is Q046's `0x40`-`0x43` or an older public header's flags with
/// a connection ID and no version, the ID 8 bytes, and the packet number after it counts
/// up by a few, over two packets beside the reference); and two packets agreed with the
/// reference, or one did on 8 bytes or more (the usual ID length). Random payload repeats 4 bytes at one offset with odds of 2^-32 a
/// packet; a cleartext header that repeats has fixed low bits in its first byte.
///
/// The reference is the direction's second packet, so a flow of one packet each way (a
/// DNS exchange whose ID happens to start with `01`) costs no memory. The QUIC version is
/// not on the wire: it stays unnamed.
enum QUICShortHeaders {
    /// Bytes compared after the first: a connection ID of up to 20, and two more (a
    /// 20-byte ID followed by two equal protected bytes is a 1-in-65,536 chance).
    static let compared = 22
    /// Shortest connection ID taken for one (RFC 9000 allows shorter; 4 is the fewest
    /// bytes that random payload does not repeat by chance).
    static let shortestID = 4
    /// An ID this long makes one agreeing packet enough.
    static let usualID = 8

    /// Whether the packet has a short header's form (or gQUIC's public header with a
    /// connection ID and no version) and is long enough to hold the connection ID
    /// compared, a packet number and an AEAD tag.
    @inline(__always)
    static func shaped(_ p: Bytes) -> Bool { p.count >= 24 && (p.base[0] & 0xc0 == 0x40 || googlePublic(p.base[0])) }

    /// Google QUIC's public flags before Q046: connection ID present (0x08), no version
    /// (0x01), not a reset (0x02), the two top bits unused.
    @inline(__always)
    static func googlePublic(_ flags: UInt8) -> Bool { flags & 0xcb == 0x08 }

    /// A first byte that header protection does not mask: Q046's short header
    /// (`0x40`-`0x43`) or gQUIC's public header.
    @inline(__always)
    static func unprotected(_ first: UInt8) -> Bool { first & 0xfc == 0x40 || googlePublic(first) }

    static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        // gQUIC's server packets: flags without a connection ID, version or reset, then a
        // packet number and sealed bytes; nothing to compare, but no reason to stop either.
        if p.count >= 24 && p.base[0] & 0xcb == 0 { return .notYet }
        guard shaped(p) else { return .no }
        guard c.index > 0 else { return .notYet }
        let d = c.details()
        let watch = d.slot(QUICShortHeaderWatch())
        switch watch.add(p, fromClient: c.fromClient) {
        case .yes:
            d[QUICShortHeaderWatch.self] = nil
            c.identify(.quic, .encrypted)
            return .yes
        case .no:
            d[QUICShortHeaderWatch.self] = nil
            return .no
        case .notYet:
            return .notYet
        }
    }

    /// Whether the bytes after the ID and the first differing byte (up to 32) look sealed:
    /// three in four distinct, as random bytes nearly all are (text or a structured
    /// header repeats values). Nil where fewer than 12 bytes follow.
    static func sealed(_ p: Bytes, after idEnd: Int) -> Bool? {
        let from = idEnd + 1
        let n = min(32, p.count - from)
        guard n >= 12 else { return nil }
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var distinct = 0
        for i in from..<(from + n) {
            let b = p.base[i], bit = UInt64(1) << UInt64(b & 63)
            let fresh: Bool
            switch b >> 6 {
            case 0: fresh = seen.0 & bit == 0; seen.0 |= bit
            case 1: fresh = seen.1 & bit == 0; seen.1 |= bit
            case 2: fresh = seen.2 & bit == 0; seen.2 |= bit
            default: fresh = seen.3 & bit == 0; seen.3 |= bit
            }
            if fresh { distinct += 1 }
        }
        return distinct * 4 >= n * 3
    }

    /// How many bytes after the first two packets share (at most `compared`).
    static func sharedID(_ ref: [UInt8], _ p: Bytes) -> Int {
        var n = 0
        while n < compared && ref[1 + n] == p.base[1 + n] { n += 1 }
        return n
    }
}

/// Each direction's reference packet and what later packets showed beside it, while a
/// flow's short headers are being checked (`QUICShortHeaders`).
final class QUICShortHeaderWatch: FlowSlot {
    struct Direction {
        /// The reference packet's first byte and the `compared` bytes after it.
        var reference: [UInt8] = []
        var agreeing = 0
        /// The fewest bytes any agreeing packet shared with the reference.
        var shortest = QUICShortHeaders.compared
        /// The masked low bits of the first byte differed from the reference's.
        var varied = false
        /// The byte after the shared ones exceeded the reference's by a little more each
        /// time (1 to 8 more than the packet before): a packet number in clear, counting
        /// up (gQUIC protects no header).
        var counting = true
        var lastStep = 0
        /// Some agreeing packet's bytes after the ID looked sealed (`QUICShortHeaders.sealed`).
        var sealed = false
        /// A packet shared too few or too many bytes, or its bytes after the ID had
        /// structure: this direction shows no ID.
        var failed = false
    }
    private var toServer = Direction()
    private var toClient = Direction()

    func add(_ p: Bytes, fromClient: Bool) -> Identification {
        let answer = fromClient ? Self.compare(p, &toServer) : Self.compare(p, &toClient)
        if answer == .notYet && toServer.failed && toClient.failed { return .no }
        return answer
    }

    private static func compare(_ p: Bytes, _ dir: inout Direction) -> Identification {
        guard !dir.failed else { return .notYet }
        guard !dir.reference.isEmpty else {
            dir.reference = Array(p.base[0...QUICShortHeaders.compared])
            return .notYet
        }
        let shared = QUICShortHeaders.sharedID(dir.reference, p)
        guard shared >= QUICShortHeaders.shortestID && shared < QUICShortHeaders.compared else {
            dir.failed = true
            return .notYet
        }
        switch QUICShortHeaders.sealed(p, after: 1 + shared) {
        case false?: dir.failed = true; return .notYet
        case true?: dir.sealed = true
        case nil: break
        }
        dir.agreeing += 1
        dir.shortest = min(dir.shortest, shared)
        // Only a short header's low bits are masked; other first bytes (gQUIC's flags, or
        // an opcode of some other protocol) do not vary by protection.
        let first = dir.reference[0], now = p.base[0]
        if first & 0xc0 == 0x40 && now & 0xc0 == 0x40 && (first ^ now) & 0x1f != 0 { dir.varied = true }
        let step = Int(p.base[1 + shared]) - Int(dir.reference[1 + shared])
        if step <= dir.lastStep || step > dir.lastStep + 8 { dir.counting = false }
        dir.lastStep = step
        let enough = dir.agreeing >= 2 || dir.shortest >= QUICShortHeaders.usualID
        // Without header protection (gQUIC), the first byte is fixed: an 8-byte ID and a
        // packet number that counts up over two packets stand in for the varying bits.
        let counted = dir.counting && dir.agreeing >= 2 && dir.shortest >= QUICShortHeaders.usualID
            && QUICShortHeaders.unprotected(now)
        let moving = dir.varied || counted
        return moving && enough && dir.sealed ? .yes : .notYet
    }
}
