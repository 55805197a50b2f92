import DemarcBase
import DemarcDecode
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
