import Foundation
import Testing

/// The differential test (issue 28): scripts/spec-check.py, a reading of SCENARIO.md
/// written apart from the classifier, recomputes every flow's places, segment, path,
/// party, rule and findings under random scenarios (via, responsible, filters.transit,
/// responsibility for every segment, accept entries) and under the built-in one; demarc
/// must agree on every flow. The first packet's link-layer destination comes from tshark.
@Suite struct SpecCheckTests {
    static let tshark = FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark")
    static let corpus = CLI.shared.appendingPathComponent("corpus/ndpi/pcap")
    static let corpusPresent = FileManager.default.fileExists(atPath: corpus.path)

    static func specCheck(_ args: [String], timeout: TimeInterval) throws -> CLI.Result {
        try CLI.run(["/usr/bin/env", "python3", "scripts/spec-check.py", "--demarc", CLI.binary] + args,
                    timeout: timeout, shellCommand: true)
    }

    @Test(.enabled(if: tshark, "needs tshark (Debian's tshark) to read link-layer destinations: skipped"))
    func bundledCaptures() throws {
        let captures = Deployments.all.map { "captures/\($0).pcap" }
        let r = try Self.specCheck(["--scenarios", "25", "--seed", "2801"] + captures, timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("\(captures.count) captures, \(captures.count * 26) replays"), "\(r.stdout)")
        #expect(r.stdout.contains(" 0 disagreements"), "\(r.stdout)")
    }

    @Test(.enabled(if: tshark, "needs tshark (Debian's tshark) to read link-layer destinations: skipped"),
          .enabled(if: corpusPresent, "needs ../shared/corpus/ndpi beside the project: skipped"))
    func ndpiCorpus() throws {
        let r = try Self.specCheck(["--scenarios", "2", "--corpus", Self.corpus.path], timeout: 1800)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        // The corpus holds link traffic of every kind the spec names; random scenarios give transit.
        #expect(r.stdout.contains("'link': ") && r.stdout.contains("'transit': "), "\(r.stdout)")
        #expect(r.stdout.contains(" 0 disagreements"), "\(r.stdout)")
    }
}
