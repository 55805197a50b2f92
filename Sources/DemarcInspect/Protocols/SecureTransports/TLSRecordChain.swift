import DemarcBase
import DemarcDecode
#if canImport(Glibc)
import Glibc
#endif

/// TLS recognised by its record layer alone, for a connection whose handshake was not
/// captured (RFC 8446 §5.1, RFC 5246 §6.2): every record opens with a 5-byte header, a
/// content type (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data), a
/// version 3.0 to 3.4 and a length of at most 2^14 + 2048 (TLSCiphertext's bound), and the
/// next record's header follows exactly that many bytes on. One header is three fixed-ish
/// bytes that any payload may hold by chance; headers that chain, or a record that ends
/// exactly where its segment does, are not. The evidence accepted:
/// - two or more headers that chain within the segment (the last record may run on);
/// - one record that fills the segment exactly (a change_cipher_spec only as its one
///   byte 1);
/// - a header the previous segments predicted: a record that ran past its segment's end
///   says at which sequence number the next header starts, and a later segment holds a
///   header there;
/// - one header opening the segment whose record runs on: as the direction's first
///   segment or a full-sized one, for application data and alerts; for a handshake record,
///   with a handshake message header of a known type and a length below 2^16.
/// A segment that begins inside a record is searched for a header from which the records
/// chain to its end, or run past it (then the next header is predicted).
enum TLSRecordChain {
    /// TLSCiphertext.length's bound (RFC 5246 §6.2.3).
    static let maxLength = 18_432
    /// Segments at least this long are full-sized: a record header opening one is the
    /// start of the segment's data, not a chance.
    static let fullSegment = 1200

    enum Evidence {
        /// The segment's records prove TLS.
        case proven
        /// A record runs past the segment's end: where the next header must be is noted.
        case predicted
        case none
    }

    /// The length of the record whose header starts at `off`, if one does.
    @inline(__always)
    static func header(_ p: Bytes, _ off: Int) -> Int? {
        guard off >= 0, p.has(off, 5) else { return nil }
        let b = p.base
        let type = b[off]
        guard type >= 20 && type <= 23, b[off + 1] == 3, b[off + 2] <= 4 else { return nil }
        let len = Int(b[off + 3]) << 8 | Int(b[off + 4])
        guard len > 0 && len <= maxLength else { return nil }
        // ChangeCipherSpec is one byte, 1 (RFC 5246 §7.1; RFC 8446 §5 keeps it for compatibility).
        if type == 20 && (len != 1 || (p.has(off + 5, 1) && b[off + 5] != 1)) { return nil }
        return len
    }

    /// The first bytes of a header cut by the segment's end: whether they fit one.
    static func headerStart(_ p: Bytes, _ off: Int) -> Bool {
        let b = p.base
        let n = p.count - off
        guard n > 0, b[off] >= 20 && b[off] <= 23 else { return false }
        return (n < 2 || b[off + 1] == 3) && (n < 3 || b[off + 2] <= 4)
    }

    struct Walk {
        /// Headers that chain from the start offset (a cut one counts once three bytes show).
        var headers = 0
        /// Where the last record ends: the segment's length when the records fill it exactly,
        /// beyond it when the last record runs on.
        var end = 0
        /// A header was due inside the segment and was not there.
        var broken = false
    }

    /// Follows the records from `off` to the segment's end.
    static func walk(_ p: Bytes, from off: Int) -> Walk {
        var w = Walk()
        var at = off
        while at < p.count {
            if p.count - at < 5 {
                guard headerStart(p, at) else { w.broken = true; return w }
                if p.count - at >= 3 { w.headers += 1 }
                w.end = p.count
                return w
            }
            guard let len = header(p, at) else { w.broken = true; return w }
            w.headers += 1
            at += 5 + len
        }
        w.end = at
        return w
    }

    /// Handshake message types that follow the hellos (RFC 5246 §7.4, RFC 8446 §4):
    /// new_session_ticket, encrypted_extensions, certificate, server_key_exchange,
    /// certificate_request, server_hello_done, certificate_verify, client_key_exchange,
    /// finished.
    static func laterHandshake(_ type: UInt8) -> Bool {
        switch type {
        case 4, 8, 11, 12, 13, 14, 15, 16, 20: return true
        default: return false
        }
    }

    /// What this segment's records show, given what earlier segments of its direction
    /// predicted. TCP only: predictions are sequence numbers.
    static func evidence(_ c: inout InspectionContext, _ p: Bytes) -> Evidence {
        guard c.isTCP else { return .none }
        var pending = false
        if let watch = c.existingDetails()?[TLSRecordWatch.self], let expected = watch.expected(c.fromClient) {
            let off = Int(Int32(bitPattern: expected &- c.tcpSeq))
            if off >= 0 && off < p.count {
                if p.count - off >= 3 && (header(p, off) != nil || (p.count - off < 5 && headerStart(p, off))) {
                    return .proven
                }
                watch.set(c.fromClient, nil)
            } else if off >= p.count {
                pending = true
            } else {
                // The predicted header lies in bytes not captured (or already passed).
                watch.set(c.fromClient, nil)
            }
        }
        if header(p, 0) != nil {
            let w = walk(p, from: 0)
            if !w.broken {
                if w.headers >= 2 || w.end == p.count || opensRecord(c, p) { return .proven }
                if !pending { predict(&c, at: w.end) }
                return .predicted
            }
        }
        // The segment may begin inside a record: look for a header from which the records
        // chain. Not in a segment that opens with text (a cleartext protocol's; ciphertext
        // opens with 8 printable bytes with odds of 4 in 10,000), and a header's second
        // byte, 3, is looked for first.
        guard !p.isPrintableASCII(0, 8), let start = p.base.baseAddress else { return pending ? .predicted : .none }
        var i = 2
        while i < p.count, let hit = memchr(start + i, 3, p.count - i) {
            let at = start.distance(to: UnsafeRawPointer(hit))
            i = at + 1
            let k = at - 1
            guard header(p, k) != nil else { continue }
            let w = walk(p, from: k)
            guard !w.broken else { continue }
            if w.headers >= 2 || w.end == p.count { return .proven }
            if !pending {
                predict(&c, at: w.end)
                pending = true
            }
        }
        return pending ? .predicted : .none
    }

    /// One header opening the segment, whose record runs on, is enough (see the type's note).
    static func opensRecord(_ c: InspectionContext, _ p: Bytes) -> Bool {
        switch p.base[0] {
        case 23, 21:
            return c.index == 0 || p.count >= fullSegment
        case 22:
            guard let hs = p.u8(5), laterHandshake(hs) else { return false }
            return p.u8(6) == 0
        default:
            return false
        }
    }

    /// Notes that this direction's next header is due `end` bytes after this segment's start.
    static func predict(_ c: inout InspectionContext, at end: Int) {
        c.details().slot(TLSRecordWatch()).set(c.fromClient, c.tcpSeq &+ UInt32(truncatingIfNeeded: end))
    }
}

/// Where each direction's next record header is due (a TCP sequence number), while a
/// flow's records are being checked before it is claimed (`TLSRecordChain`).
final class TLSRecordWatch: FlowSlot {
    private var toServer: UInt32?
    private var toClient: UInt32?

    func expected(_ fromClient: Bool) -> UInt32? { fromClient ? toServer : toClient }

    func set(_ fromClient: Bool, _ seq: UInt32?) {
        if fromClient { toServer = seq } else { toClient = seq }
    }
}
