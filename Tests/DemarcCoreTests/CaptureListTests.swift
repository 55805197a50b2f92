import Testing
@testable import DemarcCore

/// Issue 27: replay's time grew with the square of the number of captures, in
/// ArgumentParser's handling of one repeated argument. The captures after the first are
/// taken out before it parses: what it is given does not grow with the captures.
@Suite struct CaptureListTests {
    @Test func parserInputDoesNotGrowWithTheCaptures() {
        for n in [1, 10, 1000, 20_000] {
            let captures = (0..<n).map { "c\($0).pcap" }
            let (arguments, more) = CaptureList.split(["replay"] + captures + ["--format", "jsonl"])
            #expect(arguments == ["replay", "c0.pcap", "--format", "jsonl"])
            #expect(more == Array(captures.dropFirst()))
        }
    }

    @Test func optionValuesStayWithTheirOptions() {
        let args = ["diff", "--scenario", "a.yaml", "x.pcap", "--workers", "-1", "-", "--format=json", "y.pcap", "--all-flows",
                    "z.pcap", "--no-progress", "--against", "b.yaml", "--", "--odd.pcap", "w.pcap"]
        let (arguments, more) = CaptureList.split(args)
        #expect(arguments == ["diff", "--scenario", "a.yaml", "x.pcap", "--workers", "-1", "--format=json", "--all-flows",
                              "--no-progress", "--against", "b.yaml", "--"])
        #expect(more == ["-", "y.pcap", "z.pcap", "--odd.pcap", "w.pcap"])
        // After a terminator, the first capture stays with it.
        #expect(CaptureList.split(["replay", "--", "-a.pcap", "b.pcap"]) == (["replay", "--", "-a.pcap"], ["b.pcap"]))
        // Other commands are left alone.
        #expect(CaptureList.split(["scenario", "check", "s.yaml"]) == (["scenario", "check", "s.yaml"], []))
    }
}
