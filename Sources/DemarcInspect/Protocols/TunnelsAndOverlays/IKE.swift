import DemarcBase
import DemarcDecode
/// IKE (UDP 500, and 4500 behind a non-ESP marker) and ESP in UDP (NAT traversal).
public enum IKEInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let natT = c.port(4500)
        guard natT || c.port(500) else { return .no }
        var off = 0
        if natT {
            if p.count == 1 && p.u8(0) == 0xff { return .notYet } // NAT keepalive
            guard let marker = p.u32(0) else { return .no }
            if marker != 0 {
                // ESP in UDP: SPI then sequence number, then ciphertext.
                guard p.count >= 16 else { return .no }
                c.identify(.esp)
                return .yes
            }
            off = 4
        }
        guard let spi = p.u64(off), spi != 0, let version = p.u8(off + 17), version == 0x10 || version == 0x20,
              let exch = p.u8(off + 18), let len = p.u32(off + 24), len >= 28 else { return .no }
        guard (version == 0x20 && (34...43).contains(exch)) || (version == 0x10 && (exch <= 6 || exch == 32)) else { return .no }
        // IKEv2: the IKE_SA_INIT answer names the negotiated SA (IKESA.swift).
        c.identify(.ike, keepInspecting: version == 0x20)
        if version == 0x20 { follow(&c, p) }
        return .yes
    }
}
