import DemarcBase
import DemarcDecode
/// Connectionless DCE/RPC over UDP (The Open Group C706, section 12.5.1): an 80-byte
/// header, version 4, a packet type up to 10 (request to cancel ack), a data
/// representation of known integer, character and float formats, object, interface and
/// activity UUIDs, and a body length that the datagram's rest fills. PROFINET IO's
/// context management runs on it (IEC 61158-6-10) and is named by its interfaces' UUIDs
/// (DEA0000x-6C97-11D1-8271-00A02442DF7D). Only unauthenticated packets are claimed:
/// their stub data is in clear.
public enum DCERPCDatagramInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    /// The node and clock sequence that all of PROFINET IO's interface UUIDs share.
    static let profinetTail: UInt64 = 0x8271_00a0_2442_df7d

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 80, p.u8(0) == 4, let type = p.u8(1), type <= 10, let rep = p.u8(4), rep & 0xee == 0,
              let float = p.u8(5), float <= 3, p.u8(6) == 0, p.u8(78) == 0, let raw = p.u16(74) else { return .no }
        let len = rep & 0x10 != 0 ? raw.byteSwapped : raw
        guard Int(len) + 80 == p.count else { return .no }
        c.identify(p.u64(32) == profinetTail ? .profinet : .dcerpc)
        return .yes
    }
}
