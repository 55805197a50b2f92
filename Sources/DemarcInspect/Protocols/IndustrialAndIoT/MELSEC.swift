import DemarcBase
import DemarcDecode
/// Mitsubishi's MELSEC communication protocol (MC protocol) in its binary 3E and 4E
/// frames, over TCP or UDP (Mitsubishi Electric, "MELSEC Communication Protocol Reference
/// Manual", SH-080008, "Message Formats": the 3E and 4E frames' request and response
/// messages). A 3E request is the subheader 50 00, the network number, the PC number, the
/// request destination module's I/O number (2 bytes, little-endian, at most 0x03FF), its
/// station number, the request data length (2 bytes, little-endian: what follows it), the
/// monitoring timer, the command and the subcommand (2 bytes each). A response opens with
/// D0 00, the same routing fields and a response data length that counts the end code and
/// the data. The 4E frame puts a serial number and two zero bytes after the subheader
/// (54 00 for a request, D4 00 for a response). A message whose length fills the payload,
/// and for a request a known command class and a subcommand of the manual's flag bits,
/// names the protocol; device memory reads and writes travel in clear.
public enum MELSECInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(1) == 0, let subheader = p.u8(0) else { return .no }
        let at: Int
        switch subheader {
        case 0x50, 0xd0: at = 2
        case 0x54, 0xd4:
            guard p.u16(4) == 0 else { return .no }
            at = 6
        default: return .no
        }
        guard let io = p.u16le(at + 2), io <= 0x03ff, let length = p.u16le(at + 5), Int(length) == p.count - at - 7
        else { return .no }
        if subheader & 0x80 == 0 {
            // Timer, command and subcommand at least.
            guard length >= 6, let command = p.u16le(at + 9), let sub = p.u16le(at + 11),
                  isCommandClass(UInt8(command >> 8)), sub & 0xff3c == 0 else { return .no }
        } else {
            guard length >= 2 else { return .no }
        }
        c.identify(.melsec)
        return .yes
    }

    /// The command's high byte, the class of the manual's command list: device access
    /// (04, 14), remote control (10), CPU model (01), labels (0x041A and kin), buffer
    /// memory (06, 16), loopback (06), file (18, 19), drive (04), password (16),
    /// clear error (16) and monitor (08).
    @inline(__always) static func isCommandClass(_ b: UInt8) -> Bool {
        switch b {
        case 0x01, 0x04, 0x06, 0x08, 0x10, 0x11, 0x12, 0x14, 0x16, 0x18, 0x19: return true
        default: return false
        }
    }
}
