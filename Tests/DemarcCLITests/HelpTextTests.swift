import Foundation
import Testing

/// `--help` as a newcomer reads it: every option says its default, the usage lines show
/// what is required, the examples fit 80 columns, and `-o` is `--output`.
@Suite struct HelpTextTests {
    /// The OPTIONS section's entries: each option's first line and the lines under it.
    static func options(_ help: String) -> [(name: String, text: String)] {
        guard let section = help.components(separatedBy: "OPTIONS:\n").last else { return [] }
        var out: [(String, String)] = []
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  -") {
                let name = line.dropFirst(2).split(separator: " ").first.map(String.init) ?? ""
                out.append((name, String(line)))
            } else if !out.isEmpty, line.hasPrefix("      ") {
                out[out.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        return out
    }

    @Test(arguments: ["replay", "monitor", "diff"])
    func everyOptionSaysItsDefault(_ command: String) throws {
        let r = try CLI.run([command, "--help"])
        #expect(r.status == 0)
        let required: Set = ["--version", "-h,", "--interface", "--against"]
        let entries = Self.options(r.stdout)
        #expect(entries.count > 8)
        for (name, text) in entries where !required.contains(name) {
            #expect(text.lowercased().contains("default"), "\(command) \(name) says no default: \(text)")
        }
    }

    @Test func diffUsageShowsWhatItNeeds() throws {
        let r = try CLI.run(["diff", "--help"])
        #expect(r.stdout.contains("USAGE: demarc diff <capture> ... --scenario <before> --against <after>"))
    }

    @Test func examplesFitEightyColumns() throws {
        let r = try CLI.run(["--help"])
        let examples = r.stdout.components(separatedBy: "Examples:\n").last?.components(separatedBy: "\n\n").first ?? ""
        let lines = examples.split(separator: "\n")
        #expect(lines.count >= 5)
        for l in lines { #expect(l.hasPrefix("  demarc ") && l.count <= 80, "\(l)") }
    }

    @Test func shortOutputOption() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-o-\(UUID().uuidString).jsonl").path
        let r = try CLI.run(["replay", "captures/iaas-vms.pcap", "-o", path, "--format", "jsonl", "--no-progress"])
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"type\":\"summary\""))
    }
}
