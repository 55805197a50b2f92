import Foundation
import Testing

/// The HTML report rendered for real in headless Chromium: a screenshot of the right
/// size that is not blank, and a DOM (after the page's own script ran) holding the
/// summary, the chart, every flow, and a working filter.
@Suite struct HTMLRenderTests {
    static var browser: String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in ["/usr/bin", "/usr/local/bin", "/snap/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    struct Rendered {
        var dom: String
        var png: Data
    }

    static func render(_ html: String, hash: String = "") throws -> Rendered {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html").path
        let png = dir.appendingPathComponent("shot.png").path
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let dom = try CLI.output(of: "/bin/bash", [CLI.packageRoot.appendingPathComponent("scripts/render-html.sh").path,
                                                   page, png, "1280x1800", hash])
        return Rendered(dom: dom, png: (try? Data(contentsOf: URL(fileURLWithPath: png))) ?? Data())
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ d: Data) -> (Int, Int)? {
        let b = [UInt8](d.prefix(24))
        guard b.count == 24, b[0] == 0x89, b[1] == 0x50, b[12...15] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        return (be32(16), be32(20))
    }

    static func occurrences(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test(.enabled(if: browser != nil, "no Chromium (apt install chromium): rendering check skipped"))
    func rendersInChromium() throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                             "--format", "html", "--no-progress"])
        #expect(r.status == 1)
        let page = try Self.render(r.stdout)

        // The screenshot: the window's size, and far from blank (a blank page of this
        // size compresses to a few KB; this one is full of text, bars and badges).
        let size = try #require(Self.pngSize(page.png), "no PNG written")
        #expect(size == (1280, 1800))
        #expect(page.png.count > 60_000, "screenshot of \(page.png.count) bytes looks blank")

        // The DOM after the page's script ran.
        #expect(page.dom.contains("13 of 13 flows shown"), "the script counts the rows it shows")
        #expect(page.dom.contains("<h1>demarc report: overlay-network</h1>"))
        #expect(page.dom.contains("data-party=\"provider\"><h3>provider</h3><div class=\"num\">6 flows</div>"))
        #expect(page.dom.contains("data-party=\"customer\"><h3>customer</h3><div class=\"num\">7 flows</div>"))
        #expect(page.dom.contains("<svg id=\"chart\""))
        #expect(Self.occurrences("<rect class=\"bar\"", in: page.dom) == 9, "one bytes bar per segment (six) and party (three)")
        let tbody = try #require(page.dom.components(separatedBy: "<tbody>").last?.components(separatedBy: "</tbody>").first)
        #expect(Self.occurrences("<tr", in: tbody) == 13)
        #expect(page.dom.contains("unencrypted-internal"))
        #expect(page.dom.contains("<b>FAIL</b>: none: unencrypted-internal"))
    }

    @Test(.enabled(if: browser != nil, "no Chromium (apt install chromium): rendering check skipped"))
    func filterFromAddressHidesOtherRows() throws {
        let r = try CLI.run(["replay", "captures/overlay-network.pcap", "--scenario", "scenarios/overlay-network.yaml",
                             "--format", "html", "--no-progress"])
        let page = try Self.render(r.stdout, hash: "#q=unencrypted-egress")
        #expect(page.dom.contains("2 of 13 flows shown"))
        let tbody = try #require(page.dom.components(separatedBy: "<tbody>").last?.components(separatedBy: "</tbody>").first)
        #expect(Self.occurrences("style=\"display: none;\"", in: tbody) == 11)
    }
}
