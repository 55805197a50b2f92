import DemarcBase
import DemarcDecode
/// Rx, the RPC transport of AFS over UDP (Transarc, "AFS-3 Programmer's Reference:
/// Specification for the Rx Remote Procedure Call Facility", the packet header): every
/// packet opens with a 28-byte big-endian header, the connection's epoch and id (whose
/// two low bits are the call's channel), the call number, the sequence and serial
/// numbers, a type (1 DATA to 13 VERSION), flags (CLIENT_INITIATED on every packet the
/// client side sends, REQUEST_ACK, LAST_PACKET, MORE_PACKETS, SLOW_START_OK or JUMBO),
/// the user status, the security index (0 none, 2 rxkad and their kin) and the service
/// id. One header's few fixed fields do not tell it from random bytes; the other side's
/// answer does: it carries the same epoch, connection id and service id, with the
/// CLIENT_INITIATED flag the other way round.
///
/// The verdict: security index 0 leaves the calls in clear. Under rxkad the header stays
/// in clear and the level (clear, auth or crypt) is inside the encrypted part of the
/// RESPONSE, so the data decides: a DATA packet whose body reads as XDR or text is in
/// clear; a random-looking one is most likely rxkad's crypt level but may be the
/// application's own compressed bytes, so it is left unknown.
public enum AFSRxInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    /// The first header of a flow while the other side's answer is awaited.
    final class Opening: FlowSlot {
        let header: Header
        let fromClient: Bool
        init(_ header: Header, fromClient: Bool) { self.header = header; self.fromClient = fromClient }
    }

    struct Header {
        let epoch: UInt32, connection: UInt32, type: UInt8, flags: UInt8, security: UInt8, service: UInt16
        var clientInitiated: Bool { flags & 0x01 != 0 }
    }

    static let headerSize = 28

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let h = header(p) else { return .no }
        guard let o = c.existingDetails()?[Opening.self] else {
            guard c.index == 0 else { return .no }
            c.details()[Opening.self] = Opening(h, fromClient: c.fromClient)
            return .notYet
        }
        let first = o.header
        // The connection id's two low bits name the call's channel; the rest is the connection's.
        guard h.epoch == first.epoch, h.connection | 3 == first.connection | 3 else { return .no }
        if c.fromClient == o.fromClient {
            // More of the first side before the answer: the same connection, still waiting.
            return c.index < 8 && h.clientInitiated == first.clientInitiated ? .notYet : .no
        }
        guard h.service == first.service, h.clientInitiated != first.clientInitiated else { return .no }
        c.existingDetails()?[Opening.self] = nil
        if h.security == 0 && first.security == 0 {
            c.identify(.rx, .cleartext)
        } else {
            c.identify(.rx, .unknown, keepInspecting: true)
            settle(&c, p, h)
        }
        return .yes
    }

    /// Under a security class: the first DATA packet with a body of some length settles
    /// the verdict (readable: cleartext; random-looking: left unknown).
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let h = header(p) else { return }
        settle(&c, p, h)
    }

    static func settle(_ c: inout InspectionContext, _ p: Bytes, _ h: Header) {
        guard h.type == 1, p.count >= headerSize + 16 else { return }
        switch Heuristic.classifyBody(p.slice(headerSize, p.count - headerSize)) {
        case .text, .structured, .sparse: c.state.state = .cleartext
        case .random, .nearRandom: break
        case .tooShort: return
        }
        c.state.active = false
    }

    /// The header's fields, where its type, flags and security index are ones Rx defines.
    static func header(_ p: Bytes) -> Header? {
        guard p.count >= headerSize, let type = p.u8(20), (1...13).contains(type),
              let flags = p.u8(21), flags & 0xc0 == 0, let security = p.u8(23), security <= 5,
              let epoch = p.u32(0), let connection = p.u32(4), let service = p.u16(26) else { return nil }
        return Header(epoch: epoch, connection: connection, type: type, flags: flags, security: security, service: service)
    }
}
