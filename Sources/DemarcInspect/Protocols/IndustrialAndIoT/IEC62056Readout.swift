import DemarcBase
import DemarcDecode
/// IEC 62056-21 (formerly IEC 1107), the local data readout of electricity meters, over
/// TCP where a serial device server or modem bridges the meter's optical or current-loop
/// port. A session opens with one of two ASCII messages, each the whole segment and each
/// from its own side (clause 6.3 of the standard, as the DLMS UA's list of its
/// identification characters and the iec62056-21 library lay them out):
/// - the client's request "/?" and an optional device address of up to 32 letters,
///   digits and spaces, ended by "!" CR LF;
/// - the meter's identification "/", a three-letter manufacturer code (its third letter
///   may be lower case), the baud rate character ('0' to '9' or 'A' to 'I'), optional
///   "\W" enhanced capability pairs, and an identification of up to 16 printable
///   characters, ended by CR LF.
/// Readouts (register values between STX and ETX) follow in clear; mode E hands over to
/// DLMS/COSEM in HDLC frames.
public enum IEC62056ReadoutInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 5, p.count <= 64, p.u8(0) == 0x2f, p.u8(p.count - 2) == 0x0d, p.u8(p.count - 1) == 0x0a,
              c.fromClient ? isRequest(p) : isIdentification(p) else { return .no }
        c.identify(.iec6205621)
        return .yes
    }

    /// "/?" ADDRESS "!" CR LF.
    static func isRequest(_ p: Bytes) -> Bool {
        guard p.u8(1) == 0x3f, p.u8(p.count - 3) == 0x21, p.count - 5 <= 32 else { return false }
        for i in 2..<(p.count - 3) {
            guard let b = p.u8(i), isAlphanumeric(b) || b == 0x20 else { return false }
        }
        return true
    }

    /// "/" XXX Z ("\" W)* IDENT CR LF.
    static func isIdentification(_ p: Bytes) -> Bool {
        guard let a = p.u8(1), let b = p.u8(2), let m = p.u8(3), let z = p.u8(4),
              isUpper(a), isUpper(b), isUpper(m) || (m >= 0x61 && m <= 0x7a),
              (z >= 0x30 && z <= 0x39) || (z >= 0x41 && z <= 0x49) else { return false }
        var at = 5
        while p.u8(at) == 0x5c, at + 1 < p.count - 2 { at += 2 }
        let ident = p.count - 2 - at
        guard ident >= 1, ident <= 16, p.isPrintableASCII(at, ident) else { return false }
        for i in at..<(at + ident) where p.u8(i) == 0x2f || p.u8(i) == 0x21 { return false }
        return true
    }

    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5a }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        isUpper(b) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)
    }
}
