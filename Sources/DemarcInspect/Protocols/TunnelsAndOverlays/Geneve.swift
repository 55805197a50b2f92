import DemarcBase
import DemarcDecode
/// Geneve (RFC 8926), with Ethernet or IP inside as Google Cloud sends it: one of the
/// overlays OverlayInspector recognises (Overlays.swift).
extension OverlayInspector {
    /// Version 0, options length in 4-byte words, protocol type, VNI, reserved zero.
    static func geneve(_ p: Bytes) -> Encapsulation? {
        guard let b0 = p.u8(0), let b1 = p.u8(1), b1 & 0x3f == 0, let type = p.u16(2), let word = p.u32(4), word & 0xff == 0,
              type == 0x6558 || type == 0x0800 || type == 0x86dd else {
            return nil
        }
        let options = Int(b0 & 0x3f) * 4
        guard p.has(8 + options, 20) else { return nil }
        return Encapsulation(app: .geneve, network: .vni(word >> 8), inner: p.slice(8 + options, -1), ethernet: type == 0x6558)
    }
}
