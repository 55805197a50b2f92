import DemarcBase
import DemarcDecode
/// HL7 version 2 messages over the minimal lower layer protocol (HL7 v2.x, appendix C
/// "Lower Layer Protocols", MLLP): each message is framed by a start block byte (0x0B)
/// and ends with the end block byte (0x1C) and CR; the message opens with its MSH
/// segment, whose fourth character is the field separator.
public enum HL7Inspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x0b, p.starts(with: "MSH", at: 1), let separator = p.u8(4),
              separator > 0x20 && separator < 0x7f, p.isPrintableASCII(5, min(p.count - 5, 4)) else { return .no }
        c.identify(.hl7)
        return .yes
    }
}
