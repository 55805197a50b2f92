import DemarcBase
import DemarcDecode
/// MPEG transport stream carried directly in UDP (ISO/IEC 13818-1 section 2.4.3, and
/// the usual IPTV practice of seven packets per datagram): 188-byte packets laid end to
/// end, each opening with the sync byte 0x47, at least two of them in the datagram.
public enum MPEGTSInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 376, p.count % 188 == 0, p.u8(0) == 0x47 else { return .no }
        var at = 188
        while at < p.count {
            guard p.base[at] == 0x47 else { return .no }
            at += 188
        }
        c.identify(.mpegts)
        return .yes
    }
}
