import DemarcBase
import DemarcDecode
/// WireGuard: four message types, each a type byte and three zero bytes. The standard
/// sizes (initiation 148, response 92, cookie 64) identify it at once. Deployments that
/// pad or extend the handshake are confirmed by its indices instead: a response whose
/// receiver index is the initiation's sender index. Transport data seen without the
/// handshake (the capture began later) is confirmed by a second data packet the same
/// way under the same receiver index with a counter a little higher.
public enum WireGuardInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let t = p.u8(0), p.u8(1) == 0, p.u8(2) == 0, p.u8(3) == 0, let index = p.u32(4) else { return .no }
        let probe = c.existingDetails()?.probe
        switch t {
        case 1 where p.count == 148, 2 where p.count == 92, 3 where p.count == 64:
            break
        case 4 where p.count >= 32 && (p.count - 16) % 16 == 0:
            if c.port(51820) { break }
            // Receiver index (low 32 bits), counter's low 31 bits, direction (top bit).
            guard let counter = p.u64(8)?.byteSwapped, counter < 1 << 31 else { return .no }
            let mark = UInt64(index) | counter << 32 | (c.fromClient ? 1 << 63 : 0)
            if let probe {
                let same = probe & 0x8000_0000_ffff_ffff == mark & 0x8000_0000_ffff_ffff
                let before = (probe >> 32) & 0x7fff_ffff
                if same && counter > before && counter - before <= 64 { break }
                if same || (probe >> 63) != (mark >> 63) { return c.index < 4 ? .notYet : .no }
                return .no
            }
            c.details().probe = mark
            return .notYet
        case 1 where p.count > 148 && p.count <= 512:
            guard c.fromClient, probe == nil else { return .no }
            c.details().probe = UInt64(index)
            return .notYet
        case 2 where p.count > 92 && p.count <= 512:
            guard !c.fromClient, let probe, p.u32(8) == UInt32(truncatingIfNeeded: probe) else { return .no }
        default:
            return .no
        }
        c.existingDetails()?.probe = nil
        c.identify(.wireguard)
        return .yes
    }
}
