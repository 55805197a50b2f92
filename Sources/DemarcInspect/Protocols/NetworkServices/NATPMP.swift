import DemarcBase
import DemarcDecode
/// NAT-PMP (RFC 6886 section 3) and its successor PCP (RFC 6887 section 7) on port 5351.
/// NAT-PMP: version 0; a request for the external address is 2 bytes (opcode 0), a
/// mapping request 12 (opcodes 1, 2, a reserved zero); responses set the opcode's top
/// bit, carry a result code up to 5, and are 12 or 16 bytes. PCP: version 2, an opcode
/// (announce, map, peer) under the response bit, 24 bytes or more in multiples of 4.
public enum NATPMPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(5351), let version = p.u8(0), let op = p.u8(1) else { return .no }
        let ok: Bool
        switch (version, op) {
        case (0, 0): ok = p.count == 2
        case (0, 1), (0, 2): ok = p.count == 12 && p.u16(2) == 0
        case (0, 128): ok = p.count == 12 && p.u16(2).map { $0 <= 5 } == true
        case (0, 129), (0, 130): ok = p.count == 16 && p.u16(2).map { $0 <= 5 } == true
        case (2, _): ok = op & 0x7f <= 2 && p.count >= 24 && p.count <= 1100 && p.count % 4 == 0
        default: ok = false
        }
        guard ok else { return .no }
        c.identify(.natpmp)
        return .yes
    }
}
