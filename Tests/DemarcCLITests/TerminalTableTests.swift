import Foundation
import Testing

/// The table as a person sees it on a terminal: run under a pseudo-terminal (util-linux
/// `script`) of a set width, it fits that width, is coloured, and is not with NO_COLOR.
@Suite struct TerminalTableTests {
    static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

    /// Runs demarc with stdout on a pty `columns` wide; returns what the terminal got.
    static func onTerminal(columns: Int, noColor: Bool) throws -> String {
        let bin = CLI.binary
        let command = "stty cols \(columns); \(noColor ? "NO_COLOR=1 " : "")'\(bin)' replay captures/overlay-network.pcap --scenario scenarios/overlay-network.yaml"
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        let text = try CLI.output(of: "/usr/bin/script", ["-qec", command, "/dev/null"], environment: env)
        return text.replacingOccurrences(of: "\r", with: "")
    }

    /// Text without ANSI escape sequences.
    static func visible(_ s: String) -> String {
        s.replacingOccurrences(of: "\u{1b}\\[[0-9;]*m", with: "", options: .regularExpression)
    }

    @Test(.enabled(if: hasScript, "needs util-linux's script for a pseudo-terminal: skipped"), arguments: [80, 100, 160])
    func fitsTheTerminalAndIsColoured(columns: Int) throws {
        let text = try Self.onTerminal(columns: columns, noColor: false)
        #expect(text.contains("\u{1b}["), "colour on a terminal")
        let lines = Self.visible(text).split(separator: "\n")
        #expect(lines.count > 20)
        for line in lines { #expect(line.count <= columns, "wider than \(columns): \(line)") }
        // What matters stays in view: who must act and what is wrong (on the row, or on
        // the line after it when the row has no room), then the encryption where room is.
        let i = try #require(lines.firstIndex { $0.hasPrefix("    4 ") })
        let http = lines[i]
        #expect(http.contains("provider"))
        #expect(http.contains("unencrypted-internal") || lines[i + 1].contains("↳ unencrypted-internal"))
        if columns >= 120 { #expect(http.contains("cleartext (http)")) }
        // The verdict is the last thing shown.
        #expect(lines.last?.hasPrefix("Result: FAIL") == true || lines[lines.count - 2].hasPrefix("Result: FAIL"), "\(lines.suffix(2))")
    }

    @Test(.enabled(if: hasScript, "needs util-linux's script for a pseudo-terminal: skipped"))
    func noColorTurnsColourOff() throws {
        let text = try Self.onTerminal(columns: 120, noColor: true)
        #expect(!text.contains("\u{1b}["))
        #expect(text.contains("Findings"))
    }
}
