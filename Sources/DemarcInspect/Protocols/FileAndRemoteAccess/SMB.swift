import DemarcBase
import DemarcDecode
/// SMB 1, 2 and 3 behind the NetBIOS session header. SMB 3's transform header means the
/// session is encrypted.
public enum SMBInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static func smb(_ p: Bytes) -> UInt8? {
        guard p.u8(0) == 0x00, let marker = p.u8(4), marker == 0xff || marker == 0xfe || marker == 0xfd,
              p.starts(with: "SMB", at: 5) else { return nil }
        return marker
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let marker = smb(p) else { return .no }
        c.identify(.smb, marker == 0xfd ? .encrypted : .cleartext, keepInspecting: marker != 0xfd)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if smb(p) == 0xfd {
            c.state.state = .encrypted
            c.details().note = "SMB 3 encryption"
            c.state.active = false
        }
    }
}
