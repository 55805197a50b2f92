import NIOCore
import NIOPosix
import NIOHTTP1
import DemarcCore
#if canImport(Glibc)
import Glibc
#endif

/// Serves the live view (`monitor --serve HOST:PORT`) with SwiftNIO, on one event-loop
/// thread of its own, as `MetricsServer` does: the page (`/`, `/live.js`, `/live.css`)
/// and its updates as server-sent events (`/events`). Read-only: GET and HEAD only.
///
/// Every half second the loop renders what changed once (`LiveView.render`) and writes it
/// to each client whose socket takes it. A client that does not read is skipped (its
/// updates dropped, and it is told how many when it reads again) and cut off after
/// `stallLimit`; the channel's write buffer is bounded by its watermarks. Nothing here
/// runs on the packet path.
public final class LiveViewServer: @unchecked Sendable {
    private let listener: HTTPListener
    private let hub: Hub

    /// How often updates go out.
    static let tick = TimeAmount.milliseconds(500)
    /// A client that has not read for this long is cut off.
    static let stallLimit: Int64 = 10_000_000

    /// Binds at once (exit status 2 before capture on a bad address, a port in use, or a
    /// non-loopback address without a token). `token`: the secret every request must
    /// carry; required unless the address is loopback.
    public init(address given: String, token: String?, view: LiveView) throws {
        let address = LiveViewServer.withDefaultHost(given)
        let (host, port) = try MetricsServer.parse(address, option: "--serve")
        if token == nil && !LiveViewServer.isLoopback(host) {
            throw DemarcError.badInput("--serve \(address): a non-loopback address needs --serve-token FILE (anyone who can reach it would see the traffic)")
        }
        // The hub lives on the listener's loop; connections made before it is set
        // find it through the box.
        let box = HubBox()
        listener = try HTTPListener(host: host, port: port, address: address, option: "--serve",
                                    writeBuffer: WriteBufferWaterMark(low: 64 * 1024, high: 512 * 1024)) {
            LiveViewHandler(box: box, token: token)
        }
        let hub = Hub(view: view, loop: listener.loop)
        box.hub = hub
        self.hub = hub
        listener.loop.scheduleRepeatedTask(initialDelay: LiveViewServer.tick, delay: LiveViewServer.tick) { _ in hub.publish() }
    }

    public var boundPort: Int { listener.boundPort }

    public func shutdown() {
        // A last update, so a page open at the end shows every flow.
        try? hub.loop.submit { self.hub.publish() }.wait()
        listener.shutdown()
    }

    /// `PORT` or `:PORT` alone: 127.0.0.1 (loopback unless told otherwise).
    public static func withDefaultHost(_ address: String) -> String {
        if address.hasPrefix(":") { return "127.0.0.1" + address }
        if !address.isEmpty && address.allSatisfy(\.isNumber) { return "127.0.0.1:" + address }
        return address
    }

    /// 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `--serve-token FILE`: its first line, which must not be empty.
    public static func readToken(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DemarcError.badInput("--serve-token \(path): cannot read it")
        }
        let line = text.split(whereSeparator: \.isNewline).first ?? ""
        let token = String(line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        guard token.count >= 16 else { throw DemarcError.badInput("--serve-token \(path): the token must be at least 16 characters") }
        return token
    }
}

/// The hub, once made (set before the first tick; read on the same loop).
final class HubBox: @unchecked Sendable {
    var hub: Hub?
}

/// The connected event streams and the flows they have yet to get; touched only on the
/// server's event loop.
final class Hub: @unchecked Sendable {
    let view: LiveView
    let loop: any EventLoop

    final class Client {
        let channel: any Channel
        var lastFlow: UInt64 = 0
        var stateSent = false
        var svgVersion = 0
        var skipped = 0
        var stalledSince: Int64?
        init(channel: any Channel) { self.channel = channel }
    }

    private var clients: [ObjectIdentifier: Client] = [:]
    /// The latest flows as JSON, oldest first (at most `view.rows`).
    private var flows: [(seq: UInt64, json: String)] = []
    private var state: String?
    private var svg: String?
    private var svgVersion = 0
    private var stateVersion = 0

    init(view: LiveView, loop: any EventLoop) {
        self.view = view
        self.loop = loop
    }

    func add(_ channel: any Channel) {
        loop.preconditionInEventLoop()
        let c = Client(channel: channel)
        clients[ObjectIdentifier(channel)] = c
        send(c)
    }

    func remove(_ channel: any Channel) {
        clients.removeValue(forKey: ObjectIdentifier(channel))
    }

    /// Renders what changed and sends it to every client that reads.
    func publish() {
        let u = view.render()
        if !u.flows.isEmpty {
            flows.append(contentsOf: u.flows)
            if flows.count > view.rows { flows.removeFirst(flows.count - view.rows) }
        }
        if let s = u.state { state = s; stateVersion += 1 }
        if let s = u.svg { svg = s; svgVersion += 1 }
        let now = Timestamps.nowMicros()
        for c in clients.values {
            guard c.channel.isWritable else {
                c.skipped += 1
                if c.stalledSince == nil { c.stalledSince = now }
                if now - c.stalledSince! > LiveViewServer.stallLimit {
                    clients.removeValue(forKey: ObjectIdentifier(c.channel))
                    c.channel.close(promise: nil)
                }
                continue
            }
            send(c, fresh: u.state != nil)
        }
    }

    private func send(_ c: Client, fresh: Bool = true) {
        var text = ""
        let recovering = c.skipped > 0
        if c.skipped > 0 {
            text += "event: dropped\ndata: {\"updates\":\(c.skipped)}\n\n"
            c.skipped = 0
            c.stalledSince = nil
        }
        let newer = flows.drop { $0.seq <= c.lastFlow }
        if let last = newer.last {
            text += "event: flows\ndata: [" + newer.map(\.json).joined(separator: ",") + "]\n\n"
            c.lastFlow = last.seq
        }
        if let svg, c.svgVersion != svgVersion {
            // One line of data: the SVG's line breaks are data lines of their own.
            text += "event: boundary\ndata: " + svg.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\ndata: ") + "\n\n"
            c.svgVersion = svgVersion
        }
        if let state, fresh || !c.stateSent || recovering {
            text += "event: state\ndata: " + state + "\n\n"
            c.stateSent = true
        }
        guard !text.isEmpty else { return }
        var buffer = c.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        c.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }
}

private final class LiveViewHandler: WholeRequestHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let box: HubBox
    let token: String?
    var request: HTTPRequestHead?
    private var streaming = false

    init(box: HubBox, token: String?) {
        self.box = box
        self.token = token
    }

    static let cookie = "demarc_live"

    func channelInactive(context: ChannelHandlerContext) {
        if streaming { box.hub?.remove(context.channel) }
        context.fireChannelInactive()
    }

    /// Whether `given` is the token, comparing every byte whatever differs.
    func matches(_ given: Substring?) -> Bool {
        guard let token, let given else { return false }
        let a = Array(token.utf8), b = Array(given.utf8)
        var diff = a.count ^ b.count
        for i in 0..<a.count { diff |= Int(a[i] ^ (i < b.count ? b[i] : 0)) }
        return diff == 0
    }

    func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        // An event stream answers one request; anything sent after it is ignored.
        guard !streaming else { return }
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? head.uri
        let query = parts.count > 1 ? parts[1] : ""
        guard head.method == .GET || head.method == .HEAD else {
            return send(context, head, .methodNotAllowed, "text/plain; charset=utf-8", Array("read-only: GET only\n".utf8))
        }
        if token != nil {
            let given = query.split(separator: "&").first { $0.hasPrefix("token=") }.map { $0.dropFirst(6) }
            if matches(given) {
                // Once in the address, then in a cookie the page's scripts cannot read.
                var extra = HTTPHeaders()
                extra.add(name: "Location", value: path)
                extra.add(name: "Set-Cookie", value: "\(Self.cookie)=\(token!); Path=/; HttpOnly; SameSite=Strict")
                return send(context, head, .seeOther, "text/plain; charset=utf-8", Array("see \(path)\n".utf8), extra: extra)
            }
            var fromCookie: Substring?
            for header in head.headers["Cookie"] {
                for part in header.split(separator: ";") {
                    let pair = part.drop { $0 == " " }
                    if pair.hasPrefix(Self.cookie + "=") { fromCookie = pair.dropFirst(Self.cookie.count + 1) }
                }
            }
            guard matches(fromCookie) else {
                return send(context, head, .unauthorized, "text/plain; charset=utf-8",
                            Array("demarc live view: open the address given with ?token=TOKEN (the --serve-token file)\n".utf8))
            }
        }
        switch path {
        case "/":
            send(context, head, .ok, "text/html; charset=utf-8", Array(LiveViewPage.html.utf8))
        case "/live.js":
            send(context, head, .ok, "text/javascript; charset=utf-8", Array(LiveViewPage.script.utf8))
        case "/live.css":
            send(context, head, .ok, "text/css; charset=utf-8", Array(LiveViewPage.style.utf8))
        case "/events":
            startStream(context, head)
        default:
            send(context, head, .notFound, "text/plain; charset=utf-8", Array("not found\n".utf8))
        }
    }

    static func securityHeaders(_ h: inout HTTPHeaders) {
        h.add(name: "Content-Security-Policy", value: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        h.add(name: "X-Content-Type-Options", value: "nosniff")
        h.add(name: "Referrer-Policy", value: "no-referrer")
        h.add(name: "Cache-Control", value: "no-store")
        h.add(name: "X-Frame-Options", value: "DENY")
    }

    private func startStream(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        Self.securityHeaders(&headers)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        if head.method == .HEAD {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        var hello = context.channel.allocator.buffer(capacity: 32)
        hello.writeString("retry: 2000\n\n")
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(hello))), promise: nil)
        guard let hub = box.hub else { return context.close(promise: nil) }
        streaming = true
        hub.add(context.channel)
    }

    private func send(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ type: String,
                      _ body: [UInt8], extra: HTTPHeaders = HTTPHeaders()) {
        var headers = extra
        Self.securityHeaders(&headers)
        HTTPListener.send(context, head, status, type, body, extra: headers)
    }
}
