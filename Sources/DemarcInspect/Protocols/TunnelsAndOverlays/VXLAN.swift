import DemarcBase
import DemarcDecode
/// VXLAN (RFC 7348), on any UDP port (Linux's legacy 8472 included): one of the
/// overlays OverlayInspector recognises (Overlays.swift).
extension OverlayInspector {
    /// 8-byte header: flags with I (0x08; G 0x80 for group policy), VNI, reserved zero.
    static func vxlan(_ p: Bytes) -> Encapsulation? {
        guard let flags = p.u8(0), flags == 0x08 || flags == 0x88, p.u8(7) == 0, let word = p.u32(4), p.count >= 8 + 14 else { return nil }
        if flags == 0x08, p.u16(2) != 0 || p.u8(1) != 0 { return nil }
        return Encapsulation(app: .vxlan, network: .vni(word >> 8), inner: p.slice(8, -1), ethernet: true)
    }
}
