import DemarcBase
import DemarcDecode
/// Cisco's Hot Standby Router Protocol on UDP 1985. Version 1 (RFC 2281, section 5): 20
/// bytes, version 0, an op code (hello, coup, resign), a state (initial, learn, listen,
/// speak, standby, active), timers, priority, group, a reserved zero, 8 bytes of
/// authentication data and the virtual address. Version 2: TLVs (a type and a length
/// byte each) that fill the datagram, the first a group state TLV (type 1).
public enum HSRPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(1985) else { return .no }
        let v1 = p.count == 20 && p.u8(0) == 0 && p.u8(1).map { $0 <= 2 } == true
            && p.u8(2).map { [0, 1, 2, 4, 8, 16].contains($0) } == true && p.u8(7) == 0
        let v2 = p.u8(0) == 1 && p.u8(1) == 40
            && Framing.tlvFills(p, typeBytes: 1, lengthBytes: 1, lengthIncludesHeader: false, limit: 8)
        guard v1 || v2 else { return .no }
        c.identify(.hsrp)
        return .yes
    }
}
