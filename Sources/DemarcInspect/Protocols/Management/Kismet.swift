import DemarcBase
import DemarcDecode
/// Kismet's legacy client/server protocol (Kismet's documentation, "Kismet client
/// protocol"): lines of text on TCP 2501, each server line "*NAME: fields", the first
/// one "*KISMET: version start-time server-name build".
public enum KismetInspector: OpeningLineInspector {
    public static let opening: StaticString = "*KISMET: "
    public static let app = AppProtocol.kismet
}
