/// Errors with the exit status REPORT.md gives them.
public enum DemarcError: Error, CustomStringConvertible {
    /// Usage, unreadable or corrupt input, invalid scenario: exit 2.
    case badInput(String)
    /// A bug or an environment failure: exit 3.
    case `internal`(String)

    public var description: String {
        switch self {
        case .badInput(let m), .internal(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .badInput: return 2
        case .internal: return 3
        }
    }
}
