import DemarcBase
import DemarcDecode
/// DLMS/COSEM over IP (IEC 62056, DLMS UA Green Book), in either of its two framings:
/// - the "wrapper" transport (Green Book 7.3.3.4): an 8-byte header of the wrapper
///   version (1), the source and destination wPorts, and the length of the APDU after
///   it, which fills the payload; the APDU's first byte is one of xDLMS's tags
///   (association request and response, release, get, set, action, event and data
///   notification, and their ciphered forms);
/// - HDLC frames (IEC 62056-46, Green Book 8.4): each between 0x7E flags, a frame
///   format field of type 3 (0xA) whose 11-bit length counts the frame without its
///   flags, and a frame check sequence (CRC-16/X.25, least significant byte first)
///   over the frame before it.
public enum DLMSInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static func isAPDU(_ tag: UInt8) -> Bool {
        switch tag {
        case 0x01, 0x08, 0x0e, 0x0f, 0x60, 0x61, 0x62, 0x63, 0xc0...0xc7, 0xc8...0xcf, 0xd0...0xdf: return true
        default: return false
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard isWrapped(p) || isHDLC(p) else { return .no }
        c.identify(.dlms)
        return .yes
    }

    static func isWrapped(_ p: Bytes) -> Bool {
        Framing.fills(p, limit: 8) { at in
            guard p.u16(at) == 1, let length = p.u16(at + 6), length > 0,
                  let tag = p.u8(at + 8), isAPDU(tag) else { return nil }
            return 8 + Int(length)
        }
    }

    static func isHDLC(_ p: Bytes) -> Bool {
        guard p.u8(0) == 0x7e else { return false }
        return Framing.fills(p, limit: 8) { at in
            guard p.u8(at) == 0x7e, let format = p.u16(at + 1), format >> 12 == 0xa else { return nil }
            let length = Int(format & 0x7ff)
            guard length >= 7, p.u8(at + length + 1) == 0x7e,
                  let fcs = p.u16le(at + length - 1), fcs == Checksums.crcX25(p, at + 1, length - 2) else { return nil }
            return length + 2
        }
    }
}
