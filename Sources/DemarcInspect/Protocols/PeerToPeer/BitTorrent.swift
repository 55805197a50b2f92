import DemarcBase
import DemarcDecode
/// BitTorrent: the peer handshake (19, "BitTorrent protocol") on TCP. On UDP: DHT
/// messages (BEP 5: bencoded dictionaries, a query, response or error named by the `y`
/// key that sorts last), uTP's header (BEP 29: type and version 1 in the first byte, an
/// extension chain, a SYN or STATE packet that carries nothing after it), and the UDP
/// tracker's connect request (BEP 15: its fixed protocol id and action 0), and local
/// service discovery's announcement (BEP 14: "BT-SEARCH * HTTP/1.1" multicast with the
/// swarm's infohash).
public enum BitTorrentInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.isTCP {
            guard p.u8(0) == 19 && p.starts(with: "BitTorrent protocol", at: 1) else { return .no }
        } else if !(isDHT(p) || isTrackerConnect(p) || p.starts(with: "BT-SEARCH * HTTP/1.1\r\n")) {
            switch uTP(p) {
            case .yes: break
            case .notYet: return .notYet
            case .no: return .no
            }
        }
        c.identify(.bittorrent)
        return .yes
    }

    /// A bencoded DHT message: a dictionary whose first key is `a`, `r` or `e` with a node
    /// id, or whose last key is `y` naming the message's kind.
    static func isDHT(_ p: Bytes) -> Bool {
        if p.starts(with: "d1:ad2:id20:") || p.starts(with: "d1:rd2:id20:") || p.starts(with: "d1:eli") { return true }
        let n = p.count
        guard n >= 12, p.u8(0) == 0x64, let digit = p.u8(1), digit >= 0x31 && digit <= 0x39,
              p.starts(with: "1:y1:", at: n - 7), p.u8(n - 1) == 0x65,
              let kind = p.u8(n - 2) else { return false }
        return kind == 0x71 || kind == 0x72 || kind == 0x65   // q, r, e
    }

    /// BEP 15's connect request: protocol id 0x41727101980, action 0, a transaction id.
    static func isTrackerConnect(_ p: Bytes) -> Bool {
        p.count == 16 && p.u64(0) == 0x0417_2710_1980 && p.u32(8) == 0
    }

    /// A uTP header: `yes` for a SYN (no timestamp difference yet) or STATE packet that
    /// ends with its extensions; `notYet` for a DATA or FIN packet, which a STATE in either
    /// direction must confirm.
    static func uTP(_ p: Bytes) -> Identification {
        guard p.count >= 20, let b0 = p.u8(0), b0 & 0x0f == 1, let ext = p.u8(1), ext <= 4 else { return .no }
        let type = b0 >> 4
        guard type <= 4 else { return .no }
        // The extension chain: each item names the next one's type and gives its length.
        var at = 20, next = ext, items = 0
        while next != 0 {
            guard items < 4, let following = p.u8(at), let len = p.u8(at + 1), following <= 4,
                  p.has(at + 2, Int(len)) else { return .no }
            next = following; at += 2 + Int(len); items += 1
        }
        switch type {
        case 4: return at == p.count && p.u32(8) == 0 ? .yes : .no   // ST_SYN
        case 2: return at == p.count ? .yes : .no                    // ST_STATE
        case 0, 1: return at < p.count || type == 1 ? .notYet : .no  // ST_DATA, ST_FIN
        default: return .no                                          // ST_RESET
        }
    }
}
