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

/// The byte-level writers under every report: JSON text, timestamps and the buffered
/// output. Each result is parsed back or compared with an independent formatter.
@Suite struct ReportWritingTests {
    private func text(_ w: JSONWriter) -> String { String(decoding: w.bytes, as: UTF8.self) }

    @Test func stringsAreEscapedOrCopiedWhole() throws {
        let w = JSONWriter(capacity: 8)   // forces the buffer to grow mid-string
        let values = ["", "tcp", "a\"b\\c", "line\nbreak\ttab\r", "\u{01}\u{1f}\u{7f}", "ünïcødé ✓",
                      String(repeating: "x", count: 5000)]
        w.beginArray()
        for v in values { w.string(v) }
        w.string(nil)
        w.endArray()
        let parsed = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [Any]
        #expect(parsed?.count == values.count + 1)
        for (i, v) in values.enumerated() { #expect(parsed?[i] as? String == v) }
        #expect(parsed?.last is NSNull)
        #expect(text(w).contains(#""\u0001\u001f\u007f""#))
    }

    /// Strings are scanned eight bytes at a time for a byte that needs escaping: each such
    /// byte at every position of strings of every length up to 24 (and the bytes next to
    /// them in value, which need none) must come back whole.
    @Test func everyEscapedByteIsFoundAtEveryPosition() throws {
        let special: [UInt8] = [0x00, 0x01, 0x0a, 0x1f, 0x22, 0x5c, 0x7f]
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7e, 0x41]
        var values: [String] = []
        for length in 1...24 {
            for position in 0..<length {
                for b in special + plain {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = b
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            // Multi-byte UTF-8 around a quote: bytes at or above 0x80 never need escaping.
            values.append(String(repeating: "é", count: length) + "\"" + String(repeating: "✓", count: length))
        }
        let w = JSONWriter()
        w.beginArray()
        for v in values { w.string(v) }
        w.endArray()
        let parsed = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String]
        #expect(parsed == values)
    }

    /// The names flow lines copy as compile-time text are their names, quoted.
    @Test func quotedNamesAreTheNames() {
        func text(_ s: StaticString) -> String { s.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
        for s in Segment.allCases { #expect(text(s.quoted) == "\"\(s.rawValue)\"") }
        for p in Party.allCases { #expect(text(p.quoted) == "\"\(p.rawValue)\"") }
        for e in [EncryptionState.unknown, .encrypted, .cleartext] { #expect(text(e.quoted) == "\"\(e.name)\"") }
        for b in [VerdictBasis.none, .protocol, .heuristic] { #expect(text(b.quoted) == "\"\(b.name)\"") }
    }

    @Test func addressesAreWrittenInPlace() {
        let cases: [(IPAddress, String)] = [
            (IPAddress(v4: 0), "0.0.0.0"),
            (IPAddress(v4: 0x0a0c_adee), "10.12.173.238"),
            (IPAddress(v4: 0xffff_ffff), "255.255.255.255"),
            (IPAddress(v4: 0x6401_0009), "100.1.0.9"),
            (IPAddress("2001:db8::1")!, "2001:db8::1"),
        ]
        for (a, expected) in cases {
            let w = JSONWriter()
            w.rawAddress(a)
            #expect(text(w) == "\"\(expected)\"")
            #expect(a.description == expected)
        }
    }

    /// Against Foundation's formatter, across second, day and year boundaries, before
    /// 1970, and with the writer's cached second reused and replaced.
    @Test func timestampsMatchAnIndependentFormatter() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let w = JSONWriter()
        var micros: [Int64] = [0, 1, 999_999, 1_000_000, -1, -1_000_000, -1_500_001,
                               1_700_000_000_000_004, 1_700_000_000_059_279, 1_700_000_000_999_999,
                               1_700_000_001_000_000, 951_782_399_999_999, 951_782_400_000_000,  // 2000-02-29
                               1_704_067_199_999_999, 1_704_067_200_000_000]
        micros += micros.map { $0 + 7 }   // the same second again: served from the cache
        for m in micros {
            w.reset()
            w.rawTimestamp(micros: m)
            let secs = m >= 0 ? m / 1_000_000 : (m - 999_999) / 1_000_000
            let frac = m - secs * 1_000_000
            let expected = f.string(from: Date(timeIntervalSince1970: TimeInterval(secs)))
                + "." + String(format: "%06lld", frac) + "Z"
            #expect(text(w) == "\"\(expected)\"", "micros \(m)")
            #expect(Timestamps.iso8601(micros: m) == expected)
        }
    }

    @Test func outputKeepsOrderAcrossItsBuffer() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-output-\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var expected = [UInt8]()
        do {
            let out = try Output(path: path)
            // Small pieces, one larger than the buffer, and pieces that straddle its end.
            let sizes = [1, 100, 65_535, 2, 200_000, 3, 65_536, 70_000, 0, 17]
            for (i, n) in sizes.enumerated() {
                let chunk = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
                if i % 2 == 0 { out.write(chunk) } else { chunk.withUnsafeBytes { out.write($0) } }
                expected += chunk
            }
            out.write("tail ✓\n")
            expected += Array("tail ✓\n".utf8)
            out.flush()
            // Written beside the destination until committed.
            #expect(!FileManager.default.fileExists(atPath: path))
            try out.commit()
        }
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.count == expected.count)
        #expect(written == expected)
    }

    /// Runs written in place (`writeInPlace`, one writev per batch of pieces) interleave
    /// with copied writes in order, across more pieces than one writev takes and past
    /// the buffer's size; a run is read when the output is flushed, not before.
    @Test func inPlaceRunsKeepOrderWithCopiedBytes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-inplace-\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var expected = [UInt8]()
        // Blocks that stay put until the last flush, as a worker's rendered flows do.
        let runs = (0..<1500).map { i in (0..<(i % 7 == 0 ? 40 : 300 + i % 500)).map { UInt8(truncatingIfNeeded: $0 &+ i) } }
        let blocks = runs.map { run in
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: run.count, alignment: 8)
            b.copyBytes(from: run)
            return b
        }
        defer { for b in blocks { b.deallocate() } }
        do {
            let out = try Output(path: path)
            for (i, run) in runs.enumerated() {
                let id = Array(",\(i):".utf8)
                out.write(id)
                expected += id
                out.writeInPlace(UnsafeRawBufferPointer(blocks[i]))
                expected += run
                if i == 700 {
                    // A copied write larger than the buffer between in-place runs.
                    let big = [UInt8](repeating: 0x41, count: 70_000)
                    out.write(big)
                    expected += big
                }
            }
            out.flush()
            try out.commit()
        }
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.count == expected.count)
        #expect(written == expected)
    }
}
