import Foundation
import Testing

/// `monitor --serve`: what is refused before anything is captured (no privilege needed).
/// The page itself is tested in a browser by scripts/serve-test.py (`make serve-test`).
@Suite struct LiveViewCLITests {
    @Test func refusedAddressesExit2BeforeCapture() throws {
        let (busy, inUse) = MetricsCLITests.loopbackSocket(listening: true)
        defer { close(busy) }
        try #require(busy >= 0)
        for (address, says) in [("nonsense", "HOST:PORT"), ("127.0.0.1:70000", "HOST:PORT"), ("127.0.0.1:\(inUse)", "in use"),
                                (":\(inUse)", "in use"), ("0.0.0.0:0", "--serve-token"), ("[::]:0", "--serve-token")] {
            let r = try CLI.run(["monitor", "--interface", "lo", "--duration", "1", "--serve", address])
            #expect(r.status == 2, "\(address): \(r.stderr)")
            #expect(r.stderr.contains("--serve") && r.stderr.contains(says), "\(address): \(r.stderr)")
            #expect(!r.stderr.contains("listening on"), "\(address): refused before capture: \(r.stderr)")
        }
    }

    @Test func tokenFileMustHoldAToken() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "short\n".write(toFile: path, atomically: true, encoding: .utf8)
        for file in [path, path + ".missing"] {
            let r = try CLI.run(["monitor", "--interface", "lo", "--duration", "1", "--serve", "0.0.0.0:0", "--serve-token", file])
            #expect(r.status == 2 && r.stderr.contains("--serve-token"), "\(r.stderr)")
        }
        let r = try CLI.run(["monitor", "--interface", "lo", "--duration", "1", "--serve-token", path])
        #expect(r.status == 2 && r.stderr.contains("--serve-token goes with --serve"), "\(r.stderr)")
    }
}
