import DemarcBase
import DemarcDecode
/// Discord's voice transport: UDP IP discovery (type 1 or 2, length 70: the SSRC, the
/// address and port as the server sees them), then RTP whose payload the protocol
/// always encrypts (xsalsa20-poly1305 or AEAD modes). Discovery alone shows only
/// cleartext addresses.
public enum DiscordVoiceInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count == 74, let type = p.u16(0), type == 1 || type == 2, p.u16(2) == 70 else { return .no }
        c.identify(.discord, .cleartext, keepInspecting: true)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        // RTP version 2 with a header and at least a 16-byte authentication tag.
        if let b0 = p.u8(0), b0 & 0xc0 == 0x80, p.count >= 12 + 16 {
            c.state.state = .encrypted
            c.state.active = false
        }
    }
}
