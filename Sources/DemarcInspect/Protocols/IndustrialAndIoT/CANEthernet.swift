import DemarcBase
import DemarcDecode
/// CAN-ETH, Controller Area Network frames over UDP (proconX's "CAN-ETH protocol"
/// specification, canframe.pdf, as Wireshark's CAN-ETH dissector reads it): a header of
/// the magic "ISO11898", a version (1) and a count of CAN frames (1 to 16), then that
/// many 15-byte frames (identifier, length, eight data bytes, extended and remote
/// flags), which fill the datagram.
public enum CANEthernetInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "ISO11898"), p.u8(8) == 1, let frames = p.u8(9), frames >= 1 && frames <= 16,
              p.count == 10 + 15 * Int(frames) else { return .no }
        c.identify(.caneth)
        return .yes
    }
}
