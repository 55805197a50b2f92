import DemarcBase
import DemarcDecode
import DemarcInspect
/// The customer's rules for one segment; first match wins.
public struct FilterSet: Sendable {
    public var defaultAction: RuleAction
    public var rules: [Rule]
    /// The line of the `default` key in the scenario file; nil where it is not given.
    public var defaultLine: Int? = nil
    public init(defaultAction: RuleAction = .deny, rules: [Rule] = []) {
        self.defaultAction = defaultAction; self.rules = rules
    }
}

public enum RuleAction: String, Sendable {
    case allow, deny
}

/// What a rule's `from`/`to` entry names.
public enum AddressMatch: Sendable {
    case any
    case node(Int)
    case zone(Int)
    case prefix(CIDR)
    /// The implicit zone `unknown`: addresses no zone covers.
    case unknownZone
}

/// What a rule's `ports` entry names: a transport and a range of server ports.
public struct PortMatch: Sendable, Equatable {
    public var proto: UInt8?          // nil: any transport
    public var low: UInt16
    public var high: UInt16
    public var text: String

    public static let any = PortMatch(proto: nil, low: 0, high: 65535, text: "any")
    public init(proto: UInt8?, low: UInt16, high: UInt16, text: String) {
        self.proto = proto; self.low = low; self.high = high; self.text = text
    }
}

public struct Rule: Sendable {
    public var name: String
    public var action: RuleAction
    public var from: [AddressMatch]
    public var to: [AddressMatch]
    public var ports: [PortMatch]
    public var cleartextAccepted: Bool
    /// The party made responsible for the flows the rule matches, whatever the
    /// segment's; nil: the segment's party.
    public var responsible: Party?
    /// The rule's line in the scenario file; 0 for rules not read from one.
    public var line = 0
    public init(name: String, action: RuleAction = .allow, from: [AddressMatch] = [.any], to: [AddressMatch] = [.any],
                ports: [PortMatch] = [.any], cleartextAccepted: Bool = false, responsible: Party? = nil) {
        self.name = name; self.action = action; self.from = from; self.to = to
        self.ports = ports; self.cleartextAccepted = cleartextAccepted; self.responsible = responsible
    }
}

/// An `expect` entry.
public enum Expectation: Sendable {
    /// No flow carries this finding code.
    case none(code: String)
    /// At most `count` findings of this severity or above.
    case max(severity: Severity, count: Int)

    public var text: String {
        switch self {
        case .none(let code): return "none: \(code)"
        case .max(let sev, let count): return "max: {severity: \(sev.rawValue), count: \(count)}"
        }
    }
}
