import DemarcBase
import DemarcDecode
/// Tailscale's discovery messages ("disco"), which its nodes exchange over UDP beside
/// their WireGuard packets to find a direct path (Tailscale's disco package, "Package
/// disco": the wire format of a disco message): the 6-byte magic "TS" followed by the
/// UTF-8 speech balloon U+1F4AC (54 53 f0 9f 92 ac), the sender's 32-byte disco public
/// key, a 24-byte nonce, then a NaCl box (a 16-byte Poly1305 tag and the sealed message:
/// a type, a version and the ping's, pong's or call-me-maybe's fields). Such a datagram
/// names Tailscale; its messages are sealed, and the data path beside them is WireGuard
/// (recognised by its own inspector).
public enum TailscaleDiscoInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    /// Magic, key, nonce, tag, and a sealed type and version.
    static let minimumLength = 6 + 32 + 24 + 16 + 2

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= minimumLength, p.u32(0) == 0x5453_f09f, p.u16(4) == 0x92ac else { return .no }
        c.identify(.tailscale)
        return .yes
    }
}
