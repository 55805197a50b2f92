import DemarcBase
import DemarcDecode
/// The Steam client's UDP connection to Valve's connection managers (port 27017 and its
/// neighbours), as the IMFreedom knowledge base's "Steam Friends" protocol page describes
/// it ("Layers" and "Login sequence"): every datagram opens with a 36-byte little-endian
/// header, the magic "VS01", the length of the packet after the header (2 bytes), a type
/// byte below 8 and a flags byte, the source and destination connection ids, the
/// sequence number, the last sequence number received, the split count, the sequence
/// number of the message's first packet and the message's data length (the packet's own
/// length, or more when a message is split). The magic and a packet length that fills
/// the datagram name it. The connection carries the client's session with Steam, whose
/// messages the analysis behind that page found encrypted (the Pidgin developers' list,
/// December 2007: "RSA (or very similar encryption)", from the Crypto++ library), as
/// nDPI flags the protocol: a flow that shows only the connection's opening challenge is
/// called encrypted too, the way a netcode.io or WireGuard handshake is.
public enum SteamUDPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static let headerSize = 36

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "VS01"), let length = p.u16le(4), Int(length) == p.count - headerSize,
              let type = p.u8(6), type >= 1 && type < 8, let message = p.u32le(32), message >= UInt32(length)
        else { return .no }
        c.identify(.steam)
        return .yes
    }
}
