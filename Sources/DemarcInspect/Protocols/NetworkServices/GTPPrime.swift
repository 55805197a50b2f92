import DemarcBase
import DemarcDecode
/// GTP' (3GPP TS 32.295 section 6.1), charging data transfer between a charging data
/// function and its gateway, on port 3386: version 2 in the top three bits with the
/// protocol type bit clear and the three spare bits set (the 6-byte header; the short
/// header bit may be set on version 0), a message type (echo request and response,
/// version not supported, node alive, redirection, data record transfer) and a length
/// that counts what follows the header.
public enum GTPPrimeInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let messageTypes: Set<UInt8> = [1, 2, 3, 4, 5, 6, 7, 240, 241]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(3386), let b0 = p.u8(0), b0 & 0x1e == 0x0e, b0 & 0x10 == 0, let type = p.u8(1),
              messageTypes.contains(type), let len = p.u16(2) else { return .no }
        let header = b0 & 0x01 == 1 ? 20 : 6
        guard Int(len) + header == p.count else { return .no }
        c.identify(.gtpprime)
        return .yes
    }
}
