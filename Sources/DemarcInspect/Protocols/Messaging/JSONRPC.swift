import DemarcBase
import DemarcDecode
/// JSON-RPC 2.0 over a bare stream (the JSON-RPC 2.0 specification, sections 4 and 5):
/// each request or response is a JSON object carrying the member "jsonrpc": "2.0", sent
/// one per line or back to back. A payload counts when it opens an object (or a batch)
/// and names the member among its first bytes.
public enum JSONRPCInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x7b || (p.u8(0) == 0x5b && p.u8(1) == 0x7b),
              p.contains("\"jsonrpc\":\"2.0\"", within: 512) || p.contains("\"jsonrpc\": \"2.0\"", within: 512)
        else { return .no }
        c.identify(.jsonrpc)
        return .yes
    }
}
