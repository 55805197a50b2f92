import DemarcBase
import DemarcDecode
import DemarcInspect
#if canImport(Glibc)
import Glibc
#endif

/// A node of the scenario's YAMLDocument, by index.
private typealias YNode = Int

/// Reads a scenario file into a Scenario, enforcing every rule of SCENARIO.md's "Bad
/// input" section. Errors carry the file, line and column, and what is wrong.
public enum ScenarioLoader {
    public static let findingCodes = [
        "unencrypted-internal", "unencrypted-egress", "unencrypted-ingress", "unencrypted-transit",
        "unencrypted-external", "denied-traffic-observed", "unfiltered-ingress", "unfiltered-egress",
        "unfiltered-transit", "unfiltered-external",
        "weak-encryption", "customer-ca-not-used", "unverified-encryption", "certificate-not-visible",
        "cleartext-credentials", "quantum-vulnerable-key-exchange",
    ]

    /// A scenario file larger than this is refused before it is parsed.
    public static let maxFileBytes = 64 << 20

    /// Reads and checks a scenario. `warn` hears what is accepted but worth a word (a
    /// CIDR written with host bits set), with file, line and column.
    /// `-` reads the scenario from standard input (named `standard input` in messages).
    public static func load(path: String, warn: (String) -> Void = { _ in }) throws -> Scenario {
        if path == "-" { return try parse(bytes: readFile(path), source: "standard input", warn: warn) }
        return try parse(bytes: readFile(path), source: path, warn: warn)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY)
        guard fd >= 0 else { throw DemarcError.badInput("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DemarcError.badInput("\(path): \(String(cString: strerror(errno)))") }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: throw DemarcError.badInput("\(path): is a directory, not a scenario file")
        case S_IFREG, S_IFIFO, S_IFCHR: break
        default: throw DemarcError.badInput("\(path): not a regular file")
        }
        let tooLarge = DemarcError.badInput("\(path): larger than \(maxFileBytes >> 20) MiB, the most a scenario may be")
        if Int(st.st_size) > maxFileBytes { throw tooLarge }
        // The file's size and one byte more, so that the read that finds its end needs no
        // room of its own (a buffer of exactly the size doubled at the end: 100 MB more
        // for a 50 MB scenario); a pipe grows in steps.
        var bytes = [UInt8](repeating: 0, count: max(Int(st.st_size) + 1, 1 << 16))
        var used = 0
        while true {
            if used == bytes.count {
                if used > maxFileBytes { throw tooLarge }
                bytes.append(contentsOf: repeatElement(0, count: min(used, maxFileBytes + 1 - used)))
            }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DemarcError.badInput("\(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            used += n
        }
        if used > maxFileBytes { throw tooLarge }
        bytes.removeSubrange(used...)
        return bytes
    }

    public static func parse(_ text: String, source: String, warn: (String) -> Void = { _ in }) throws -> Scenario {
        try parse(bytes: Array(text.utf8), source: source, warn: warn)
    }

    public static func parse(bytes: [UInt8], source: String, warn: (String) -> Void = { _ in }) throws -> Scenario {
        if let (offset, what) = TextCheck.firstProblem(bytes) {
            let (line, column) = LineIndex(bytes).position(byte: offset)
            throw DemarcError.badInput("\(source):\(line):\(column): \(what)")
        }
        let doc: YAMLDocument
        do {
            // Every node costs at least two bytes of YAML, so a walk of twice the file's
            // size in nodes allows any honest use of aliases.
            doc = try YAMLDocument(bytes, maxExpanded: max(100_000, 2 * bytes.count))
        } catch let f as YAMLDocument.Failure {
            throw DemarcError.badInput("\(source):\(f.line):\(f.column): \(f.message)\(indentationHint(bytes, line: f.line, message: f.message))")
        }
        return try withoutActuallyEscaping(warn) { warn in
            var p = Parser(source: source, doc: doc, warn: warn)
            return try p.parse()
        }
    }
}

/// What a YAML syntax error at `line` most likely comes from, when it is indentation:
/// a tab in a line's indentation (YAML indents with spaces only), or, for the errors
/// libyaml gives when a line is indented deeper or shallower than its block allows, the
/// indentation of that line and the one before it.
func indentationHint(_ bytes: [UInt8], line: Int, message: String) -> String {
    let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for (i, l) in lines.prefix(max(line, 1)).enumerated()
    where l.prefix(while: { $0 == UInt8(ascii: " ") || $0 == 0x09 }).contains(0x09) {
        return "; line \(i + 1) indents with a tab, and YAML indentation must be spaces"
    }
    let structural = ["mapping values are not allowed", "did not find expected key", "could not find expected ':'",
                      "did not find expected '-'", "block mapping", "block sequence", "block collection"]
    guard structural.contains(where: { message.contains($0) }) else { return "" }
    return "; the indentation is the likely cause: check line \(line) and the one before it (nested keys indented "
        + "more than their parent, keys of one mapping equally, with spaces)"
}

/// What must hold of a scenario's bytes before YAML is parsed: UTF-8 text without
/// control characters, located by line and column.
enum TextCheck {
    static func firstProblem(_ b: [UInt8]) -> (Int, String)? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                if c < 0x20 && c != 0x09 && c != 0x0a && c != 0x0d || c == 0x7f {
                    let name = c == 0 ? "a NUL byte (is this a binary file?)" : "control character 0x\(String(c, radix: 16, uppercase: true))"
                    return (i, "contains \(name); a scenario is UTF-8 text")
                }
                i += 1
                continue
            }
            let len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0
            guard len > 0, i + len <= n else { return (i, "not UTF-8 text") }
            let c1 = b[i + 1]
            let lo: UInt8 = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80
            let hi: UInt8 = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf
            guard c1 >= lo && c1 <= hi else { return (i, "not UTF-8 text") }
            for k in 2..<max(2, len) where b[i + k] & 0xc0 != 0x80 { return (i, "not UTF-8 text") }
            i += len
        }
        return nil
    }
}

private struct Parser {
    let source: String
    let doc: YAMLDocument
    let warn: (String) -> Void
    var nodeIndex: [String: Int] = [:]
    var zoneIndex: [String: Int] = [:]

    func fail(_ node: YNode?, _ message: String) -> DemarcError {
        let at = node.map { doc.mark($0) }.map { "\($0.line):\($0.column)" } ?? "1:1"
        return DemarcError.badInput("\(source):\(at): \(message)")
    }

    mutating func parse() throws -> Scenario {
        // Scalars are text here: no implicit typing, so `yes` or `010` stay as written.
        guard let root = doc.root else { throw fail(nil, "the file is empty; a scenario needs at least a `scenario` name") }
        let top = try mapping(root, "the scenario", keys: ["scenario", "description", "provider", "nodes", "zones",
                                                         "responsibility", "encryption", "filters", "expect", "accept"])
        guard let nameNode = top["scenario"] else { throw fail(root, "missing key `scenario` (the scenario's name)") }
        let name = try string(nameNode, "scenario")
        if name.isEmpty { throw fail(nameNode, "the scenario's name is empty") }
        var scenario = Scenario(name: name, source: source)
        scenario.description = try top["description"].map { try string($0, "description", multiline: true) }
        scenario.provider = try top["provider"].map { try string($0, "provider") }

        // Nodes.
        var claimed: [IPAddress: String] = [:]
        if let nodes = top["nodes"] {
            for (k, v) in try pairs(nodes, "nodes") {
                let nodeName = try string(k, "node name")
                try claimName(nodeName, k)
                let m = try mapping(v, "node '\(nodeName)'", keys: ["role", "addresses"])
                let role = try m["role"].map { try string($0, "role") } ?? "node"
                guard let addrs = m["addresses"] else { throw fail(v, "node '\(nodeName)' has no `addresses`") }
                var addresses: [IPAddress] = []
                for a in try list(addrs, "addresses", in: "node '\(nodeName)'") {
                    let t = try string(a, "address")
                    try rejectLeadingZeros(t, a)
                    guard let ip = IPAddress(t) else { throw fail(a, "invalid IP address '\(t)' in node '\(nodeName)'") }
                    if let other = claimed[ip] {
                        throw fail(a, other == nodeName
                            ? "address \(t) is listed twice in node '\(nodeName)'"
                            : "address \(t) is claimed by two nodes: '\(other)' and '\(nodeName)'")
                    }
                    claimed[ip] = nodeName
                    addresses.append(ip)
                }
                nodeIndex[nodeName] = scenario.nodes.count
                scenario.nodes.append(Node(name: nodeName, role: role, addresses: addresses))
            }
        }

        // Zones.
        var cidrOwner: [CIDR: String] = [:]
        if let zones = top["zones"] {
            for (k, v) in try pairs(zones, "zones") {
                let zoneName = try string(k, "zone name")
                if zoneName == "unknown" { throw fail(k, "`unknown` is the implicit zone of addresses no zone covers; choose another name") }
                try claimName(zoneName, k)
                let m = try mapping(v, "zone '\(zoneName)'", keys: ["owner", "cidrs", "sensitive", "via", "post_quantum"])
                guard let ownerNode = m["owner"] else { throw fail(v, "zone '\(zoneName)' has no `owner` (provider, customer or external)") }
                let ownerText = try string(ownerNode, "owner")
                guard let owner = Owner(rawValue: ownerText) else {
                    throw fail(ownerNode, "invalid owner '\(ownerText)' for zone '\(zoneName)': use provider, customer or external")
                }
                guard let cidrsNode = m["cidrs"] else { throw fail(v, "zone '\(zoneName)' has no `cidrs`") }
                var cidrs: [CIDR] = []
                for c in try list(cidrsNode, "cidrs", in: "zone '\(zoneName)'") {
                    let t = try string(c, "CIDR")
                    let cidr = try prefix(t, c, what: "CIDR", in: "zone '\(zoneName)'")
                    if let other = cidrOwner[cidr] {
                        throw fail(c, "CIDR \(cidr) appears in two zones: '\(other)' and '\(zoneName)'")
                    }
                    cidrOwner[cidr] = zoneName
                    cidrs.append(cidr)
                }
                let sensitive = try m["sensitive"].map { try bool($0, "sensitive") } ?? false
                var via: Int?
                if let viaNode = m["via"] {
                    let t = try string(viaNode, "via")
                    guard let n = nodeIndex[t] else {
                        throw fail(viaNode, "`via` of zone '\(zoneName)' names no node: '\(t)'\(suggest(t, Array(nodeIndex.keys)))")
                    }
                    via = n
                }
                zoneIndex[zoneName] = scenario.zones.count
                scenario.zones.append(Zone(name: zoneName, owner: owner, cidrs: cidrs, sensitive: sensitive, via: via))
                if let pq = m["post_quantum"] { scenario.zones[scenario.zones.count - 1].postQuantum = try bool(pq, "post_quantum") }
            }
        }

        if let r = top["responsibility"] {
            let m = try mapping(r, "responsibility", keys: Segment.allCases.map(\.rawValue))
            for (k, v) in m.entries {
                let t = try string(v, k)
                guard let party = Party(rawValue: t) else { throw fail(v, "invalid party '\(t)' for \(k): use provider, customer or shared") }
                scenario.responsibility[Segment(rawValue: k)!] = party
            }
        }

        if let e = top["encryption"] {
            let m = try mapping(e, "encryption", keys: Segment.encryptable.map(\.rawValue) + ["customer_ca", "post_quantum"])
            for (k, v) in m.entries {
                if k == "post_quantum" {
                    scenario.postQuantum = try postQuantum(v)
                } else if k == "customer_ca" {
                    let ca = try mapping(v, "customer_ca", keys: ["issuer", "sha256"])
                    let issuer = try ca["issuer"].map { try string($0, "issuer") }
                    var fps: [String] = []
                    if let s = ca["sha256"] {
                        for f in try sequence(s, "sha256") {
                            let t = try string(f, "sha256").lowercased().filter { $0 != ":" }
                            guard t.count == 64, t.allSatisfy({ $0.isHexDigit }) else {
                                throw fail(f, "invalid SHA-256 fingerprint '\(try string(f, "sha256"))': 64 hex digits expected")
                            }
                            fps.append(t)
                        }
                    }
                    if (issuer ?? "").isEmpty && fps.isEmpty {
                        throw fail(v, "customer_ca needs an `issuer` or at least one `sha256` fingerprint")
                    }
                    scenario.customerCA = CustomerCA(issuer: issuer, sha256: fps)
                } else {
                    let t = try string(v, k)
                    guard let req = Requirement(rawValue: t) else { throw fail(v, "invalid value '\(t)' for encryption.\(k): use required or optional") }
                    scenario.encryption[Segment(rawValue: k)!] = req
                }
            }
        }

        if let f = top["filters"] {
            let m = try mapping(f, "filters", keys: Segment.filtered.map(\.rawValue) + ["internal"])
            for (k, v) in m.entries {
                if k == "internal" {
                    throw fail(m.keyNodes[k], "filters apply to egress, ingress, transit and external; internal traffic is the provider's")
                }
                scenario.filters[Segment(rawValue: k)!] = try filterSet(v, segment: k)
            }
        }

        if let ex = top["expect"] {
            for item in try sequence(ex, "expect") {
                let m = try mapping(item, "an expect entry", keys: ["none", "max"])
                guard m.entries.count == 1, let (k, v) = m.entries.first else {
                    throw fail(item, "an expect entry is either {none: CODE} or {max: {severity: S, count: N}}")
                }
                if k == "none" {
                    let code = try string(v, "none")
                    guard ScenarioLoader.findingCodes.contains(code) else {
                        throw fail(v, "unknown finding code '\(code)'\(suggest(code, ScenarioLoader.findingCodes))")
                    }
                    scenario.expectations.append(.none(code: code))
                } else {
                    let mm = try mapping(v, "max", keys: ["severity", "count"])
                    guard let sn = mm["severity"], let cn = mm["count"] else { throw fail(v, "max needs `severity` and `count`") }
                    let st = try string(sn, "severity")
                    guard let sev = Severity(rawValue: st) else {
                        throw fail(sn, "invalid severity '\(st)': use critical, high, medium, low or info")
                    }
                    let ct = try string(cn, "count")
                    guard let count = Int(ct), count >= 0 else { throw fail(cn, "count must be a whole number ≥ 0, not '\(ct)'") }
                    scenario.expectations.append(.max(severity: sev, count: count))
                }
            }
        }
        if let ac = top["accept"] {
            scenario.hasAcceptList = true
            for item in try sequence(ac, "accept") {
                scenario.acceptances.append(try acceptance(item))
            }
        }
        return scenario
    }

    /// An `accept` entry: a finding code, optional from/to/ports as in rules, and its
    /// owner, reason and end date, all three required.
    func acceptance(_ item: YNode) throws -> Acceptance {
        let m = try mapping(item, "an accept entry", keys: ["finding", "from", "to", "ports", "owner", "reason", "until"])
        guard let fn = m["finding"] else { throw fail(item, "an accept entry needs `finding` (a finding code)") }
        let code = try string(fn, "finding")
        guard ScenarioLoader.findingCodes.contains(code) else {
            throw fail(fn, "unknown finding code '\(code)'\(suggest(code, ScenarioLoader.findingCodes))")
        }
        func required(_ key: String, _ what: String) throws -> (String, YNode) {
            guard let n = m[key] else { throw fail(item, "the accept entry for \(code) needs `\(key)` (\(what))") }
            let t = try string(n, key)
            guard !t.allSatisfy({ $0 == " " || $0 == "\t" }) else { throw fail(n, "`\(key)` cannot be empty (\(what))") }
            return (t, n)
        }
        let (owner, _) = try required("owner", "who accepted the risk")
        let (reason, _) = try required("reason", "why it is accepted")
        let (until, untilNode) = try required("until", "the last day it holds, YYYY-MM-DD")
        guard let day = CalendarDay.parse(until) else {
            throw fail(untilNode, "invalid date '\(until)' in `until`: use an ISO date, YYYY-MM-DD")
        }
        var a = Acceptance(finding: code, owner: owner, reason: reason, until: until, untilDay: day,
                           line: doc.mark(item).line)
        let label = "the accept entry for \(code)"
        if let f = m["from"] { a.from = try addresses(f, rule: label) }
        if let t = m["to"] { a.to = try addresses(t, rule: label, key: "to") }
        if let p = m["ports"] { a.ports = try ports(p, rule: label) }
        return a
    }

    mutating func claimName(_ name: String, _ node: YNode) throws {
        if name.isEmpty { throw fail(node, "a name cannot be empty") }
        if name == "any" { throw fail(node, "`any` is reserved in rules; choose another name") }
        if CIDR(name) != nil || IPAddress.looksLikeV4(name) {
            throw fail(node, "the name '\(name)' reads as an IP address or CIDR, which it would hide in rules; choose another name")
        }
        if nodeIndex[name] != nil || zoneIndex[name] != nil {
            throw fail(node, "duplicate name '\(name)': nodes and zones share one namespace")
        }
    }

    func filterSet(_ v: YNode, segment: String) throws -> FilterSet {
        let m = try mapping(v, "filters.\(segment)", keys: ["default", "rules"])
        var set = FilterSet()
        if let d = m["default"] {
            let t = try string(d, "default")
            guard let a = RuleAction(rawValue: t) else { throw fail(d, "invalid default '\(t)' for filters.\(segment): use deny or allow") }
            set.defaultAction = a
            set.defaultLine = doc.mark(d).line
        }
        if let rules = m["rules"] {
            var names = Set<String>()
            for (i, r) in try sequence(rules, "rules").enumerated() {
                let rm = try mapping(r, "a rule", keys: ["name", "from", "to", "ports", "action", "cleartext", "responsible"])
                let name = try rm["name"].map { try string($0, "name") } ?? "\(segment)-\(i + 1)"
                if names.contains(name) { throw fail(rm["name"] ?? r, "duplicate rule name '\(name)' in filters.\(segment)") }
                names.insert(name)
                var rule = Rule(name: name)
                rule.line = doc.mark(r).line
                if let a = rm["action"] {
                    let t = try string(a, "action")
                    guard let act = RuleAction(rawValue: t) else { throw fail(a, "invalid action '\(t)' in rule '\(name)': use allow or deny") }
                    rule.action = act
                }
                if let f = rm["from"] { rule.from = try addresses(f, rule: "rule '\(name)'") }
                if let t = rm["to"] { rule.to = try addresses(t, rule: "rule '\(name)'", key: "to") }
                if let p = rm["ports"] { rule.ports = try ports(p, rule: "rule '\(name)'") }
                if let c = rm["cleartext"] {
                    let t = try string(c, "cleartext")
                    guard t == "accepted" else { throw fail(c, "invalid cleartext '\(t)' in rule '\(name)': the only value is `accepted`") }
                    guard rule.action == .allow else { throw fail(c, "`cleartext: accepted` belongs on an allow rule; '\(name)' denies") }
                    rule.cleartextAccepted = true
                }
                if let pn = rm["responsible"] {
                    let t = try string(pn, "responsible")
                    guard let party = Party(rawValue: t) else {
                        throw fail(pn, "invalid responsible '\(t)' in rule '\(name)': use provider, customer or shared")
                    }
                    rule.responsible = party
                }
                set.rules.append(rule)
            }
        }
        return set
    }

    func addresses(_ n: YNode, rule: String, key: String = "from") throws -> [AddressMatch] {
        let items = try list(n, key, in: rule)
        var out: [AddressMatch] = []
        for item in items {
            let t = try string(item, "address")
            if t == "any" { out.append(.any); continue }
            if t == "unknown" { out.append(.unknownZone); continue }
            if let i = nodeIndex[t] { out.append(.node(i)); continue }
            if let i = zoneIndex[t] { out.append(.zone(i)); continue }
            let looksLikeAddress = t.first.map { $0.isNumber || $0 == ":" } ?? false
            if looksLikeAddress || CIDR(t) != nil { out.append(.prefix(try prefix(t, item, what: "address or CIDR", in: "\(rule)"))); continue }
            if looksLikeAddress { throw fail(item, "invalid address or CIDR '\(t)' in \(rule)") }
            throw fail(item, "\(rule) names an unknown node or zone '\(t)'\(suggest(t, Array(nodeIndex.keys) + Array(zoneIndex.keys)))")
        }
        return out
    }

    func ports(_ n: YNode, rule: String) throws -> [PortMatch] {
        let items = try list(n, "ports", in: rule)
        var out: [PortMatch] = []
        for item in items {
            let t = try string(item, "port").lowercased()
            if t == "any" { out.append(.any); continue }
            let simple: [String: UInt8] = ["icmp": IPProtocol.icmp, "icmpv6": IPProtocol.icmpv6, "esp": IPProtocol.esp,
                                           "gre": IPProtocol.gre, "ah": IPProtocol.ah, "tcp": IPProtocol.tcp,
                                           "udp": IPProtocol.udp, "sctp": IPProtocol.sctp]
            if let p = simple[t] { out.append(PortMatch(proto: p, low: 0, high: 65535, text: t)); continue }
            let parts = t.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let proto = ["tcp": IPProtocol.tcp, "udp": IPProtocol.udp, "sctp": IPProtocol.sctp][String(parts[0])] else {
                throw fail(item, "invalid port '\(t)' in \(rule): use tcp/443, udp/53, tcp/8000-8999, icmp, icmpv6, esp or any")
            }
            let range = parts[1].split(separator: "-", omittingEmptySubsequences: false)
            let digitsOnly = range.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
            guard digitsOnly, range.count <= 2, let lo = UInt16(range[0]), let hi = range.count == 2 ? UInt16(range[1]) : lo, lo <= hi else {
                throw fail(item, "invalid port '\(t)' in \(rule): a port is 0–65535, a range low-high")
            }
            out.append(PortMatch(proto: proto, low: lo, high: hi, text: t))
        }
        return out
    }

    /// A CIDR or bare address. Leading zeros are refused (some parsers read them as
    /// octal); host bits below the prefix are cleared, with a warning.
    func prefix(_ t: String, _ node: YNode, what: String, in place: String) throws -> CIDR {
        try rejectLeadingZeros(t, node)
        if let slash = t.firstIndex(of: "/") {
            let length = t[t.index(after: slash)...]
            let width = t.contains(":") ? 128 : 32
            if length.count > 1 && length.first == "0" && length.allSatisfy(\.isNumber) {
                throw fail(node, "invalid \(what) '\(t)' in \(place): the prefix length '\(length)' has a leading zero; write \(Int(length) ?? 0)")
            }
            if let n = Int(length), length.allSatisfy(\.isNumber), n > width {
                throw fail(node, "invalid \(what) '\(t)' in \(place): the prefix length \(n) is over \(width), the most an IPv\(width == 32 ? 4 : 6) prefix can be")
            }
        }
        guard let (cidr, hostBitsSet) = CIDR.parse(t) else { throw fail(node, "invalid \(what) '\(t)' in \(place)") }
        if hostBitsSet {
            let at = doc.mark(node)
            warn("\(source):\(at.line):\(at.column): \(t) has host bits set below its prefix; read as \(cidr)")
        }
        return cidr
    }

    func rejectLeadingZeros(_ t: String, _ node: YNode) throws {
        // An IPv4 octet (after the start or a dot, before a dot, slash or the end) of
        // two or more digits that begins with 0. IPv6 text has colons and is left alone.
        var previous = UInt8(ascii: "."), zeroLed = false, digits = 0
        for c in t.utf8 {
            if c == UInt8(ascii: ":") { return }
            if c == UInt8(ascii: "/") { break }
            if c == UInt8(ascii: ".") {
                if zeroLed && digits > 1 { break }
                digits = 0; zeroLed = false
            } else {
                if previous == UInt8(ascii: ".") { zeroLed = c == UInt8(ascii: "0") }
                digits += 1
            }
            previous = c
        }
        if zeroLed && digits > 1 && IPAddress.looksLikeV4(String(t.prefix { $0 != "/" })) {
            throw fail(node, "'\(t)' has an octet with a leading zero, which some tools read as octal; write it without")
        }
    }

    // MARK: node helpers

    struct Map {
        var entries: [(String, YNode)]
        var keyNodes: [String: YNode]
        subscript(_ k: String) -> YNode? { entries.first { $0.0 == k }?.1 }
    }

    func mapping(_ n: YNode, _ what: String, keys allowed: [String]) throws -> Map {
        guard doc.kind(n) == .mapping else { throw fail(n, "\(what) must be a mapping of keys to values") }
        var out = Map(entries: [], keyNodes: [:])
        var it = doc.children(n)
        while let k = it.next(), let v = it.next() {
            let key = try string(k, "key")
            guard allowed.contains(key) else {
                throw fail(k, "unknown key '\(key)' in \(what)\(suggest(key, allowed))")
            }
            if out.keyNodes[key] != nil { throw fail(k, "duplicate key '\(key)' in \(what)") }
            out.keyNodes[key] = k
            out.entries.append((key, v))
        }
        return out
    }

    func pairs(_ n: YNode, _ what: String) throws -> [(YNode, YNode)] {
        if let s = doc.scalar(n), s.isEmpty || s == "~" || s == "null" { return [] }
        guard doc.kind(n) == .mapping else { throw fail(n, "`\(what)` must be a mapping of names to definitions") }
        var seen = Set<String>()
        var out: [(YNode, YNode)] = []
        var it = doc.children(n)
        while let k = it.next(), let v = it.next() {
            let key = try string(k, "name")
            if seen.contains(key) { throw fail(k, "duplicate name '\(key)' in \(what)") }
            seen.insert(key)
            out.append((k, v))
        }
        return out
    }

    func sequence(_ n: YNode, _ what: String) throws -> YAMLDocument.Children {
        guard doc.kind(n) == .sequence else { throw fail(n, "`\(what)` must be a list") }
        return doc.children(n)
    }

    /// A scalar's text. Control characters are refused (they would reach terminals and
    /// reports raw), except line breaks and tabs in free text.
    func string(_ n: YNode, _ what: String, multiline: Bool = false) throws -> String {
        guard let s = doc.scalar(n) else { throw fail(n, "`\(what)` must be a single value, not a list or mapping") }
        if let c = s.unicodeScalars.first(where: { ($0.value < 0x20 || (0x7f...0x9f).contains($0.value)) && !(multiline && ($0 == "\n" || $0 == "\t")) }) {
            throw fail(n, "`\(what)` contains control character U+\(hex4(c.value)); names and text must be printable")
        }
        // Characters that reorder or hide what is shown: a name with them reads as
        // another name in a terminal or a report. Free text (a description) may hold
        // them, as right-to-left writing does.
        if !multiline, let c = s.unicodeScalars.first(where: { Parser.invisible($0.value) }) {
            throw fail(n, "`\(what)` contains the invisible or direction-changing character U+\(hex4(c.value)); names and values must show as they read")
        }
        return s
    }

    func isScalar(_ n: YNode) -> Bool { doc.kind(n) == .scalar }

    /// The items of a key that takes a list; one value alone stands for a list of one
    /// (`to: portal`, `cidrs: 10.0.0.0/8`). An empty list is refused: a rule or zone with
    /// nothing in it could never match anything.
    func list(_ n: YNode, _ key: String, in place: String) throws -> [YNode] {
        if isScalar(n) {
            if let s = doc.scalar(n), s.isEmpty || s == "~" || s == "null" {
                throw fail(n, "`\(key)` in \(place) is empty, so it can never match; list at least one entry")
            }
            return [n]
        }
        let items = Array(try sequence(n, key))
        if items.isEmpty {
            throw fail(n, "`\(key)` in \(place) is an empty list, so it can never match; list at least one entry")
        }
        return items
    }

    /// Zero-width characters, bidirectional marks, embeddings, overrides and isolates,
    /// and the byte-order mark.
    static func invisible(_ v: UInt32) -> Bool {
        (0x200b...0x200f).contains(v) || (0x202a...0x202e).contains(v) || (0x2060...0x2064).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0xfeff
    }

    func bool(_ n: YNode, _ what: String) throws -> Bool {
        let t = try string(n, what).lowercased()
        switch t {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(n, "`\(what)` must be true or false, not '\(t)'")
        }
    }

    func suggest(_ word: String, _ candidates: [String]) -> String {
        let best = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
        guard let b = best, b.1 <= max(2, word.count / 3) else {
            return candidates.isEmpty ? "" : " (expected one of: \(candidates.sorted().joined(separator: ", ")))"
        }
        return " (did you mean '\(b.0)'?)"
    }
}

/// Levenshtein distance, for did-you-mean suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// Four hex digits at least, upper case (as in U+001B).
func hex4(_ v: UInt32) -> String {
    let h = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - h.utf8.count)) + h
}

extension Parser {
    /// `encryption.post_quantum`: `{SEGMENT: required | optional, …}` (docs/crypto.md).
    func postQuantum(_ n: YNode) throws -> [Segment: Requirement] {
        let m = try mapping(n, "encryption.post_quantum", keys: Segment.encryptable.map(\.rawValue))
        var out: [Segment: Requirement] = [:]
        for (k, v) in m.entries {
            let t = try string(v, k)
            guard let req = Requirement(rawValue: t) else {
                throw fail(v, "invalid value '\(t)' for encryption.post_quantum.\(k): use required or optional")
            }
            out[Segment(rawValue: k)!] = req
        }
        return out
    }
}
