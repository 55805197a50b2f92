import Foundation
import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

@Suite struct HostileInputUnitTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

    /// Every input that once crashed, hung or exhausted a fuzz target (or a user) is
    /// replayed through the same entry point; its name says whether it is `accepted-`
    /// or `rejected-`.
    @Test(arguments: ["scenario", "options", "capture"]) func fuzzRegressions(_ target: String) throws {
        let dir = Self.regressions.appendingPathComponent(target)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(!files.isEmpty)
        let harness: (UnsafeRawBufferPointer) -> Bool = switch target {
        case "scenario": FuzzHarness.scenario
        case "options": FuzzHarness.options
        default: FuzzHarness.capture
        }
        for name in files {
            let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name)))
            let accepted = bytes.withUnsafeBytes { harness($0) }
            #expect(accepted == name.hasPrefix("accepted-"), "\(target)/\(name)")
        }
    }

    @Test func filterTermsCountJoins() {
        #expect(Limits.filterTerms("tcp") == 1)
        #expect(Limits.filterTerms("tcp port 80 and host 10.0.0.1") == 2)
        #expect(Limits.filterTerms("(tcp or udp) AND not icmp") == 3)
        #expect(Limits.filterTerms("tcp||udp&&icmp") == 3)
        #expect(Limits.filterTerms("host android.example or host orca") == 2, "words containing and/or are not joins")
        #expect(Limits.filterTerms("tcp[13] & 2 != 0 or ip[0] | 1 == 0") == 2, "single & and | are bit operators")
    }

    @Test func secondsAndIntegers() throws {
        #expect(try Limits.seconds("300", option: "--idle-timeout", range: Limits.idleTimeout) == 300)
        #expect(try Limits.seconds("0.5", option: "--duration", range: Limits.duration) == 0.5)
        for bad in ["-1", "0", "1e13", "inf", "-inf", "nan", "", " 5", "5s"] {
            #expect(throws: DemarcError.self) { try Limits.seconds(bad, option: "--duration", range: Limits.duration) }
        }
        #expect(try Limits.integer("65535", option: "--snaplen", unit: "bytes", range: Limits.snaplen) == 65535)
        #expect(throws: DemarcError.self) { try Limits.integer("262145", option: "--snaplen", unit: "bytes", range: Limits.snaplen) }
    }

    /// The compact document: children in order, aliases resolved where used, marks
    /// as line and column.
    @Test func compactDocument() throws {
        let yaml = "top:\n  list: &l [a, \"b c\", 'd']\n  again: *l\n  map: {k: v}\n"
        let doc = try YAMLDocument(Array(yaml.utf8), maxExpanded: 1000)
        let root = try #require(doc.root)
        #expect(doc.kind(root) == .mapping)
        let top = Array(doc.children(root))
        #expect(doc.scalar(top[0]) == "top")
        let inner = Array(doc.children(top[1]))
        #expect(inner.count == 6)
        #expect(Array(doc.children(inner[1])).compactMap(doc.scalar) == ["a", "b c", "d"])
        #expect(Array(doc.children(inner[3])).compactMap(doc.scalar) == ["a", "b c", "d"], "the alias reads as its anchor")
        #expect(doc.mark(inner[3]) == (3, 10), "an alias is located where it is used")
        let utf = try YAMLDocument(Array("\u{FEFF}é: &a [x]\nñ: ñ\nx: *a\n".utf8), maxExpanded: 10)
        let entries = Array(utf.children(try #require(utf.root)))
        #expect(utf.mark(entries[0]) == (1, 1) && utf.mark(entries[3]) == (2, 4) && utf.mark(entries[5]) == (3, 4),
                "characters, not bytes, after a byte-order mark")
        #expect(doc.kind(inner[5]) == .mapping)
        #expect(MemoryLayout<YAMLDocument.Node>.stride == 12)
    }

    @Test func textChecks() {
        #expect(TextCheck.firstProblem(Array("scenario: é ✓ 😀\n\tx\r\n".utf8)) == nil)
        #expect(TextCheck.firstProblem([0x61, 0xc3]) != nil, "cut-off sequence")
        #expect(TextCheck.firstProblem([0xc0, 0x80]) != nil, "overlong")
        #expect(TextCheck.firstProblem([0xed, 0xa0, 0x80]) != nil, "surrogate")
        #expect(TextCheck.firstProblem([0x61, 0x1b])?.0 == 1)
        let lines = LineIndex(Array("\u{FEFF}ab\ncé\nx".utf8))
        #expect(lines.position(byte: 10) == (3, 1))
        #expect(lines.position(byte: 8) == (2, 3), "columns count characters")
        #expect(lines.position(character: 6) == (3, 1), "libyaml's index: characters, the mark not counted")
    }
}
