import DemarcBase
import DemarcDecode
/// Stratum, the mining pool protocol (Stratum V1 as slush pool's and bitcoin wiki's
/// "Stratum mining protocol" documents it): JSON-RPC 1.0 objects, one per line, whose
/// methods live under "mining." ("mining.subscribe", "mining.authorize",
/// "mining.notify", "mining.submit"), or Ethereum pools' "eth_submitLogin",
/// "eth_getWork", "eth_submitWork" and "eth_submitHashrate". A payload counts when it
/// opens an object and names such a method among its first bytes.
public enum StratumInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x7b,
              p.contains("\"mining.", within: 512) || p.contains("\"eth_submit", within: 512)
                || p.contains("\"eth_getWork\"", within: 512),
              p.contains("\"method\"", within: 512) else { return .no }
        c.identify(.mining)
        return .yes
    }
}
