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

    /// What an unconfirmed first packet leaves for the next one to confirm: the index to
    /// match, a transport packet's counter (low 31 bits) and its direction.
    struct Mark: Equatable {
        let raw: UInt64
        init(raw: UInt64) { self.raw = raw }
        init(index: UInt32, counter: UInt64 = 0, fromClient: Bool = false) {
            raw = UInt64(index) | (counter & 0x7fff_ffff) << 32 | (fromClient ? 1 << 63 : 0)
        }
        var index: UInt32 { UInt32(truncatingIfNeeded: raw) }
        var counter: UInt64 { (raw >> 32) & 0x7fff_ffff }
        var fromClient: Bool { raw >> 63 != 0 }
    }

    /// The flow's slot while a first packet waits for the one that confirms it.
    final class Candidate: FlowSlot {
        let mark: Mark
        init(_ mark: Mark) { self.mark = mark; super.init() }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let t = p.u8(0), p.u8(1) == 0, p.u8(2) == 0, p.u8(3) == 0, let index = p.u32(4) else { return .no }
        let probe = c.existingDetails()?[Candidate.self]?.mark
        switch t {
        case 1 where p.count == 148, 2 where p.count == 92, 3 where p.count == 64:
            break
        case 4 where p.count >= 32 && (p.count - 16) % 16 == 0:
            if c.port(51820) { break }
            guard let counter = p.u64(8)?.byteSwapped, counter < 1 << 31 else { return .no }
            let mark = Mark(index: index, counter: counter, fromClient: c.fromClient)
            if let probe {
                let same = probe.index == mark.index && probe.fromClient == mark.fromClient
                if same && counter > probe.counter && counter - probe.counter <= 64 { break }
                if same || probe.fromClient != mark.fromClient { return c.index < 4 ? .notYet : .no }
                return .no
            }
            c.details()[Candidate.self] = Candidate(mark)
            return .notYet
        case 1 where p.count > 148 && p.count <= 512:
            guard c.fromClient, probe == nil else { return .no }
            c.details()[Candidate.self] = Candidate(Mark(index: index))
            return .notYet
        case 2 where p.count > 92 && p.count <= 512:
            guard !c.fromClient, let probe, p.u32(8) == probe.index else { return .no }
        default:
            return .no
        }
        c.existingDetails()?[Candidate.self] = nil
        c.identify(.wireguard)
        return .yes
    }
}
