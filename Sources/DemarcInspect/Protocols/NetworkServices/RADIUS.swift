import DemarcBase
import DemarcDecode
/// RADIUS (authentication, accounting, dynamic authorization): a known code, a length
/// equal to the datagram's, and attributes that tile the rest exactly.
public enum RADIUSInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static let codes: Set<UInt8> = [1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(in: [1812, 1813, 1645, 1646, 3799]), let code = p.u8(0), codes.contains(code),
              let len = p.u16(2), Int(len) == p.count, len >= 20 else { return .no }
        var off = 20
        while off < p.count {
            guard let alen = p.u8(off + 1), alen >= 2 else { return .no }
            off += Int(alen)
        }
        guard off == p.count else { return .no }
        c.identify(.radius)
        return .yes
    }
}
