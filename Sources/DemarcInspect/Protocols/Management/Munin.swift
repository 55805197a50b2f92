import DemarcBase
import DemarcDecode
/// Munin's node protocol (munin-node's documentation, "Protocol"): a line-based text
/// protocol on TCP 4949 whose server greets with "# munin node at HOSTNAME", answered by
/// commands such as "cap", "list", "fetch" and "config".
public enum MuninInspector: OpeningLineInspector {
    public static let opening: StaticString = "# munin node at "
    public static let app = AppProtocol.munin
}
