import DemarcBase
import DemarcDecode
import DemarcInspect
// libyaml's event parser, as Yams bundles it. Yams itself only composes whole node
// trees (about 87 bytes of memory per byte of YAML); the scenario loader needs the
// events so that it can keep a compact tree of its own.
import CYaml

/// A YAML document held compactly: every node is 12 bytes in one array (in document
/// order, a collection followed by its subtree), and every scalar's text sits in one
/// byte arena. Marks are byte offsets, turned into line and column only for messages.
///
/// Built from libyaml's events, so limits are checked as the file is read: nesting
/// depth, one document per file, anchors defined before use, and how far aliases may
/// expand (a "billion laughs" file is rejected before anything walks it).
final class YAMLDocument {
    enum Kind: UInt32 { case scalar = 0, sequence = 1, mapping = 2, alias = 3 }

    /// kind in the top two bits of `packed`, the node's position below (libyaml's
    /// mark index: characters from the start, a byte-order mark not counted); for a scalar `a`
    /// is its start in the arena and `b` its length; for a collection `a` is its size
    /// with aliases expanded and `b` the index past its subtree; for an alias `a` is
    /// the index of the node it names.
    struct Node {
        var packed: UInt32
        var a: UInt32
        var b: UInt32
        var kind: Kind { Kind(rawValue: packed >> 30)! }
        var offset: Int { Int(packed & 0x3fff_ffff) }
    }

    struct Failure: Error {
        var line: Int
        var column: Int
        var message: String
    }

    static let maxDepth = 32

    let source: [UInt8]
    private(set) var nodes: [Node] = []
    private(set) var arena: [UInt8] = []
    /// Where lines start (made for the first message).
    private var lineIndex: LineIndex?

    var root: Int? { nodes.isEmpty ? nil : 0 }

    /// Parses `bytes` (at most 1 GiB). `maxExpanded` bounds the nodes a full walk would
    /// visit, aliases expanded.
    init(_ bytes: [UInt8], maxExpanded: Int) throws {
        source = bytes
        // Positions are kept in 30 bits; the loader's file cap is far below that.
        guard bytes.count < 1 << 30 else { throw Failure(line: 1, column: 1, message: "larger than 1 GiB") }
        arena.reserveCapacity(bytes.count)
        try compose(maxExpanded: maxExpanded)
    }

    private func compose(maxExpanded: Int) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw Failure(line: 1, column: 1, message: "out of memory") }
        defer { yaml_parser_delete(&parser) }
        var open: [Int] = []
        var anchors: [String: Int] = [:]
        // Collections' anchors, registered when the collection ends (innermost first).
        var pendingAnchors: [(Int, String)] = []
        var documents = 0
        try source.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { throw parserFailure(parser) }
                defer { yaml_event_delete(&event) }
                let offset = Int(event.start_mark.index)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 { throw failure(at: offset,  "a second YAML document; a scenario is one document") }
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    let start = arena.count
                    if let v = s.value, s.length > 0 { arena.append(contentsOf: UnsafeBufferPointer(start: v, count: s.length)) }
                    let i = append(.scalar, offset, a: UInt32(start), b: UInt32(s.length), open: open)
                    if let name = s.anchor { anchors[String(cString: name)] = i }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    if open.count >= YAMLDocument.maxDepth {
                        throw failure(at: offset,  "nested deeper than \(YAMLDocument.maxDepth) levels; a scenario needs far fewer")
                    }
                    let isSeq = event.type == YAML_SEQUENCE_START_EVENT
                    let i = append(isSeq ? .sequence : .mapping, offset, a: 1, b: 0, open: open)
                    open.append(i)
                    // Registered when it ends: an alias inside its own anchor is undefined,
                    // so no walk can loop.
                    let name = isSeq ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    if let name { pendingAnchors.append((i, String(cString: name))) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    let i = open.removeLast()
                    nodes[i].b = UInt32(nodes.count)
                    if let last = pendingAnchors.last, last.0 == i {
                        anchors[last.1] = i
                        pendingAnchors.removeLast()
                    }
                    if let p = open.last { nodes[p].a = YAMLDocument.add(nodes[p].a, nodes[i].a) }
                    if Int(nodes[i].a) > maxExpanded {
                        throw failure(at: nodes[i].offset,  "aliases expand this to more than \(maxExpanded) values")
                    }
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    guard let target = anchors[name] else {
                        throw failure(at: offset,  "alias *\(name) names no anchor defined before it")
                    }
                    let size = nodes[target].kind == .scalar ? UInt32(1) : nodes[target].a
                    _ = append(.alias, offset, a: UInt32(target), b: 0, open: open, size: size)
                default:
                    break
                }
            }
        }
    }

    private func append(_ kind: Kind, _ offset: Int, a: UInt32, b: UInt32, open: [Int], size: UInt32 = 1) -> Int {
        if let p = open.last, kind != .sequence && kind != .mapping { nodes[p].a = YAMLDocument.add(nodes[p].a, size) }
        nodes.append(Node(packed: kind.rawValue << 30 | UInt32(offset), a: a, b: b))
        return nodes.count - 1
    }

    private static func add(_ x: UInt32, _ y: UInt32) -> UInt32 {
        let (s, o) = x.addingReportingOverflow(y)
        return o ? .max : s
    }

    private func failure(at index: Int, _ message: String) -> Failure {
        let (line, column) = position(index)
        return Failure(line: line, column: column, message: message)
    }

    private func parserFailure(_ p: yaml_parser_t) -> Failure {
        let problem = p.problem.map { String(cString: $0) } ?? "unreadable"
        let context = p.context.map { " " + String(cString: $0) } ?? ""
        let message = "not valid YAML: \(problem)\(context)"
        if p.error == YAML_READER_ERROR {
            // Reader errors are at a byte offset (the text checks run first, so rare).
            if lineIndex == nil { lineIndex = LineIndex(source) }
            let (line, column) = lineIndex!.position(byte: Int(p.problem_offset))
            return Failure(line: line, column: column, message: message)
        }
        return Failure(line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1, message: message)
    }

    // MARK: reading

    /// The node an alias names; any other node itself.
    func resolve(_ i: Int) -> Int {
        nodes[i].kind == .alias ? Int(nodes[i].a) : i
    }

    func kind(_ i: Int) -> Kind { nodes[resolve(i)].kind }

    /// The scalar's text, or nil for a collection.
    func scalar(_ i: Int) -> String? {
        let n = nodes[resolve(i)]
        guard n.kind == .scalar else { return nil }
        return arena.withUnsafeBufferPointer { String(decoding: $0[Int(n.a)..<Int(n.a + n.b)], as: UTF8.self) }
    }

    /// The direct children of a collection, in order (keys and values alternate in a mapping).
    func children(_ i: Int) -> Children {
        let r = resolve(i)
        let n = nodes[r]
        guard n.kind == .sequence || n.kind == .mapping else { return Children(doc: self, cursor: 0, end: 0) }
        return Children(doc: self, cursor: r + 1, end: Int(n.b))
    }

    struct Children: Sequence, IteratorProtocol {
        let doc: YAMLDocument
        var cursor: Int
        let end: Int
        mutating func next() -> Int? {
            guard cursor < end else { return nil }
            let i = cursor
            let n = doc.nodes[i]
            cursor = (n.kind == .sequence || n.kind == .mapping) ? Int(n.b) : i + 1
            return i
        }
    }

    /// 1-based line and column of a node (of the alias itself, where it is used).
    func mark(_ i: Int) -> (line: Int, column: Int) { position(nodes[i].offset) }

    func position(_ index: Int) -> (line: Int, column: Int) {
        if lineIndex == nil { lineIndex = LineIndex(source) }
        return lineIndex!.position(character: index)
    }
}

/// Line and column (1-based; columns count characters, not UTF-8 bytes) of a byte
/// offset, or of a character index as libyaml counts them (a leading byte-order mark
/// not counted; CR LF is two characters).
struct LineIndex {
    package let bytes: [UInt8]
    /// Where each line starts, in bytes and in characters.
    let starts: [Int]
    let characterStarts: [Int]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0], chars = [0]
        var c = 0
        let bom = bytes.starts(with: [0xef, 0xbb, 0xbf]) ? 3 : 0
        for k in bom..<bytes.count {
            let b = bytes[k]
            if b & 0xc0 != 0x80 { c += 1 }
            if b == 0x0a {
                starts.append(k + 1)
                chars.append(c)
            }
        }
        self.starts = starts
        self.characterStarts = chars
    }

    private static func line(of x: Int, in starts: [Int]) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= x { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    func position(byte offset: Int) -> (line: Int, column: Int) {
        let l = LineIndex.line(of: offset, in: starts)
        let end = max(starts[l], min(offset, bytes.count))
        let column = bytes[starts[l]..<end].reduce(1) { $0 + ($1 & 0xc0 == 0x80 ? 0 : 1) }
        return (l + 1, column)
    }

    func position(character index: Int) -> (line: Int, column: Int) {
        let l = LineIndex.line(of: index, in: characterStarts)
        return (l + 1, index - characterStarts[l] + 1)
    }
}
