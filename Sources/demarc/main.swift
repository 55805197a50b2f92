import ArgumentParser
import DemarcCore
import DemarcMetrics
#if canImport(Glibc)
import Glibc
#endif

extension ReportFormat: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}

struct Demarc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demarc",
        abstract: "Shows, flow by flow, who is responsible for network traffic under a shared responsibility model.",
        discussion: """
        Replay captures (or watch an interface) against a scenario that names the provider's nodes, the zones and their owners, the customer's filters and where encryption is required. Every flow gets its segment (internal, egress, ingress, transit, external, link), the responsible party, its encryption state, the filter rule it matched, and findings.

        Examples:
          demarc replay capture.pcap --scenario site.yaml
          demarc replay a.pcap b.pcapng --format jsonl --fail-on high
          demarc monitor --interface eth0 --scenario site.yaml --duration 60
          demarc scenario init capture.pcap --node edge-1=10.10.0.2 -o site.yaml
          demarc scenario check site.yaml
          demarc diff capture.pcap --scenario now.yaml --against next.yaml

        Exit status: 0 done; 1 a finding at or above --fail-on, or a failed expectation; 2 bad input (usage, capture, scenario, interface, permission); 3 internal error.
        """,
        version: DemarcVersion.string,
        subcommands: [Replay.self, Monitor.self, Diff.self, ScenarioCommand.self, Simulate.self]
    )
}

struct ReportArguments: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Scenario file (YAML; - reads standard input). Default: the built-in scenario (no nodes, every flow external unless link, nothing required, so nothing is checked); `demarc scenario init CAPTURE` writes a starting scenario.", valueName: "file"))
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("Report format: table, json, jsonl, csv, markdown, html, ecs (Elastic Common Schema NDJSON), ocsf (OCSF 1.8.0 JSON lines); replay also cbom (CycloneDX cryptography bill of materials).", valueName: "format"))
    var format: ReportFormat = .table

    @Option(name: [.short, .long], help: ArgumentHelp("Write the report to this file (default: standard output).", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("BPF expression (libpcap syntax) selecting the packets to analyse (default: every packet).", valueName: "bpf"))
    var filter: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp(
        "Exit 1 if any finding is at or above this severity (critical, high, medium, low, info). Default: replay and monitor exit 1 on a failed expectation only; diff on an added finding at high or above.",
        valueName: "severity"))
    var failOn: Severity?

    // Numbers are read as text (`parsing: .unconditional`, so `-1` is a value, not a
    // flag) and checked against Limits, which names the allowed range.
    @Option(name: .customLong("idle-timeout"), parsing: .unconditional,
            help: ArgumentHelp("Finish a flow after this many seconds without packets (0.001 to 31536000).", valueName: "seconds"))
    var idleTimeout: String = "300"

    @Option(name: .customLong("embryonic-timeout"), parsing: .unconditional, help: ArgumentHelp(
        "Finish a flow that has not got going after this many seconds without packets (0.001 to 31536000, never more than --idle-timeout): a TCP flow whose handshake has not completed, or a flow of another transport with one packet.",
        valueName: "seconds"))
    var embryonicTimeout: String = "30"

    @Option(name: .customLong("max-flows"), parsing: .unconditional, help: ArgumentHelp(
        "The most flows open at once (shared among --workers; the default holds about 1 GB of flows). Past it, a new flow evicts the oldest embryonic flow, else the oldest established one; evicted flows are reported with \"end\": \"evicted\".",
        valueName: "n"))
    var maxFlows: Int = FlowTimeouts.defaultMaxFlows

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Analysis threads (1 to 256); default: one per core. The report is the same for any number.", valueName: "n"))
    var workers: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "table, markdown, html: list at most this many flows one by one; past it, findings by code with examples and the top flows by bytes (html: flows with findings, and the rest summed by zone pair and service).",
        valueName: "n"))
    var rows: Int = ReportOptions.defaultRowLimit

    @Flag(name: .customLong("all-flows"), help: "table, markdown, html: list every flow, however many (memory grows with them; default: --rows applies).")
    var allFlows = false

    func validate() throws {
        if output == "" { throw ValidationError("--output needs a file name; '' names none") }
        if let w = workers, !(1...256).contains(w) { throw ValidationError("--workers must be between 1 and 256, not \(w)") }
        if rows < 0 { throw ValidationError("--rows must be 0 or more, not \(rows)") }
        try usage { _ = try Limits.seconds(idleTimeout, option: "--idle-timeout", range: Limits.idleTimeout) }
        try usage { _ = try Limits.seconds(embryonicTimeout, option: "--embryonic-timeout", range: Limits.idleTimeout) }
        if !(1...Limits.maxFlows).contains(maxFlows) {
            throw ValidationError("--max-flows must be between 1 and \(Limits.maxFlows), not \(maxFlows)")
        }
        if let f = filter { try usage { try Limits.checkFilter(f) } }
    }

    func options() throws -> RunOptions {
        var o = RunOptions()
        if let s = scenario {
            o.scenario = try loadScenario(s)
            o.scenarioPath = s
        }
        o.format = format
        o.outputPath = output
        o.filter = filter
        o.failOn = failOn
        let idle = try Limits.seconds(idleTimeout, option: "--idle-timeout", range: Limits.idleTimeout)
        o.timeouts = FlowTimeouts(idleSeconds: idle, lingerSeconds: min(15, idle))
        let embryonic = try Limits.seconds(embryonicTimeout, option: "--embryonic-timeout", range: Limits.idleTimeout)
        o.timeouts.embryonic = Int64(embryonic * 1_000_000)
        o.timeouts.maxFlows = maxFlows
        o.workers = workers ?? max(1, min(256, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        o.rowLimit = allFlows ? nil : rows
        return o
    }
}

/// A bad value is a usage error: ArgumentParser's message with the usage line, exit 2.
func usage(_ check: () throws -> Void) throws {
    do { try check() } catch let e as DemarcError { throw ValidationError(e.description) }
}

/// A scenario file; a FIFO with no writer yet gets a notice after a second.
func loadScenario(_ path: String) throws -> Scenario {
    try FIFOWait.watching(path, what: "scenario") { try ScenarioLoader.load(path: path, warn: warn) }
}

func warn(_ message: String) {
    Console.error("demarc: \(message)\n")
}

/// This machine's host name, suggested for --sensor.
let hostName: String = {
    var buf = [CChar](repeating: 0, count: 256)
    guard gethostname(&buf, buf.count) == 0 else { return "gw1" }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}()

/// Replay and monitor on a gateway: the sensor's name in every record, IPFIX export.
struct GatewayArguments: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Name where the traffic was seen (the gateway), e.g. --sensor \(hostName) (this host's name). It goes in inputs[] and every flow record of json, jsonl, csv, ecs (observer.name), ocsf (device.name) and IPFIX. Default: none, and no output names a sensor.",
        valueName: "name"))
    var sensor: String?

    @Option(name: .long, help: ArgumentHelp(
        "Export every flow to an IPFIX collector (RFC 7011 over UDP; biflow records, RFC 5103) at HOST:PORT, beside the report; an IPv6 host in brackets. docs/formats.md lists the elements. Default: no export.",
        valueName: "host:port"))
    var ipfix: String?

    @Option(name: .customLong("ipfix-pen"), parsing: .unconditional, help: ArgumentHelp(
        "The private enterprise number under which demarc's own IPFIX elements (segment, party, encryption state, finding codes, sensor) are exported (default 32473, the documentation PEN of RFC 5612): put your organisation's here.",
        valueName: "pen"))
    var ipfixPEN: UInt32 = 32473

    @Option(name: .customLong("ipfix-domain"), parsing: .unconditional, help: ArgumentHelp(
        "The IPFIX observation domain id of every message (0 to 4294967295; default 0).", valueName: "id"))
    var ipfixDomain: UInt32 = 0

    func validate() throws {
        if let s = sensor, s.isEmpty || s.utf8.count > 255 || s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ValidationError("--sensor needs a name of 1 to 255 bytes without control characters")
        }
    }

    func apply(to options: inout RunOptions) throws {
        options.gateway.sensor = sensor
        options.gateway.ipfixPEN = ipfixPEN
        options.gateway.ipfixDomain = ipfixDomain
        if let a = ipfix { options.gateway.ipfix = try UDPSender(address: a) }
    }
}

/// One warning per run when the flow table was full: evicted flows are reported, but
/// ended early, and the figures say so.
func warnEvictions(_ summary: Summary, _ options: RunOptions) {
    guard summary.evicted > 0 else { return }
    warn("the flow table reached --max-flows \(options.timeouts.maxFlows): \(summary.evicted) flows were evicted early (reported with \"end\": \"evicted\"; summary.evicted counts them)")
}

/// What replay and diff read: the captures, in order, and how they are shown and dated.
struct CaptureArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("Capture files (pcap or pcapng); - reads standard input (tcpdump -w - | demarc replay -).", valueName: "capture"))
    var captures: [String]

    @Flag(name: .long, inversion: .prefixedNo, help: "Show progress on standard error (default: when it is a terminal).")
    var progress: Bool?

    @Option(name: .customLong("as-of"), parsing: .unconditional, help: ArgumentHelp(
        "The day (YYYY-MM-DD, UTC) against which the scenario's accept entries expire; default today. Pins a report.",
        valueName: "date"))
    var asOf: String?

    func validate() throws {
        if captures.isEmpty { throw ValidationError("give at least one capture file") }
        if let d = asOf, CalendarDay.parse(d) == nil { throw ValidationError("invalid --as-of '\(d)': use an ISO date, YYYY-MM-DD") }
    }

    /// The report's options with this reading's progress and day.
    func apply(to options: inout RunOptions) {
        options.asOfDay = asOf.flatMap(CalendarDay.parse)
        options.progress = progress ?? (isatty(2) == 1)
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay pcap/pcapng captures against a scenario and report every flow.",
        discussion: "Several captures are one replay, read in the order given. A capture cut off mid-packet is reported as far as it goes and marked truncated.")

    @OptionGroup var input: CaptureArguments
    @OptionGroup var report: ReportArguments
    @OptionGroup var gateway: GatewayArguments

    func run() throws {
        var options = try report.options()
        input.apply(to: &options)
        try gateway.apply(to: &options)
        let result = try DemarcCore.Replay.run(captures: input.captures, options: options, warn: warn)
        warnEvictions(result.header.summary, options)
        let status = result.exitStatus(failOn: options.failOn)
        if status != 0 { throw ExitCode(status) }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What a scenario change does: the captures read once, every flow classified under both scenarios.",
        usage: "demarc diff <capture> ... --scenario <before> --against <after> [--format <format>] [-o <file>] [--fail-on <severity>] [<options>]",
        discussion: "Lists the flows whose segment, party, rule or findings change (before → after) and the findings AFTER adds and removes, by code and party. Exit 1 when AFTER adds a finding at or above --fail-on (default high), or fails an expectation BEFORE met: a scenario change can be gated in CI before it is deployed. Formats: table, json, jsonl, csv (one row per changed flow, before and after), markdown, html.")

    @OptionGroup var input: CaptureArguments

    @Option(name: .long, help: ArgumentHelp("The scenario after the change.", valueName: "file"))
    var against: String

    @OptionGroup var report: ReportArguments

    func validate() throws {
        if report.scenario == nil { throw ValidationError("diff needs --scenario BEFORE as well as --against AFTER") }
        if report.format == .cbom { throw ValidationError("--format cbom is for replay, not diff") }
    }

    func run() throws {
        var options = try report.options()
        input.apply(to: &options)
        let after = try loadScenario(against)
        let (result, inputError) = try DemarcCore.Diff.run(captures: input.captures, before: options.scenario, after: after,
                                                          afterPath: against, options: options, warn: warn)
        let status: Int32 = inputError != nil ? 2 : result.exitStatus
        if status != 0 { throw ExitCode(status) }
    }
}

struct Monitor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch a live interface against a scenario, reporting each flow as it ends.",
        discussion: "Runs until --duration passes or SIGINT/SIGTERM; either way every flow seen is finished and reported before exit. A flow is reported when it ends: 2 s after its FIN or RST, or after --idle-timeout seconds without packets. Capture runs on its own thread, so a slow output never makes the kernel drop packets. Needs root, or CAP_NET_RAW and CAP_NET_ADMIN.")

    @Option(name: .long, help: ArgumentHelp("Interface to capture on.", valueName: "name"))
    var interface: String

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Stop after this many seconds (0.001 to 315360000; default: run until SIGINT or SIGTERM).", valueName: "seconds"))
    var duration: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Bytes captured per packet (1 to 262144).", valueName: "bytes"))
    var snaplen: String = "65535"

    @Flag(name: .long, inversion: .prefixedNo, help: "Put the interface in promiscuous mode.")
    var promiscuous: Bool = true

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Capture buffering: the kernel's buffer and demarc's own packet ring, each this size (1 to 4096). Raise it if the summary shows dropped or queue_dropped packets.",
        valueName: "MiB"))
    var bufferSize: String = "64"

    @Option(name: .long, help: ArgumentHelp(
        "Serve Prometheus metrics at http://HOST:PORT/metrics while monitoring: flows, packets and bytes by segment, party, encryption and application (counted while flows are open), findings by code, severity and party, drops, open flows. An IPv6 host goes in brackets ([::]:9464); port 0 picks a free one (printed on stderr). Default: no metrics are served.",
        valueName: "host:port"))
    var metrics: String?

    @Option(name: .long, help: ArgumentHelp(
        "Serve a live view of the boundary at http://HOST:PORT/ while monitoring: the verdict, party cards, packets per second, drops, the boundary picture, findings by code and the latest flows, updated as flows end (server-sent events). PORT or :PORT alone binds 127.0.0.1; an address that is not loopback needs --serve-token. Port 0 picks a free one (printed on stderr). Default: no page is served.",
        valueName: "host:port"))
    var serve: String?

    @Option(name: .customLong("serve-token"), help: ArgumentHelp(
        "File whose first line (16 characters or more) is the token the live view asks for: open http://HOST:PORT/?token=TOKEN once; a cookie keeps it. Required for a --serve address that is not loopback. Default: none (a loopback page asks for no token).",
        valueName: "file"))
    var serveToken: String?

    @Option(name: .customLong("serve-rows"), parsing: .unconditional, help: ArgumentHelp(
        "Latest flows the live view's table keeps (1 to 100000).", valueName: "n"))
    var serveRows: String = "500"

    @OptionGroup var report: ReportArguments
    @OptionGroup var gateway: GatewayArguments

    // libpcap would quietly replace a value out of range with its default.
    var limits: (snaplen: Int32, bufferMB: Int32, duration: Double?) {
        get throws {
            (Int32(try Limits.integer(snaplen, option: "--snaplen", unit: "bytes", range: Limits.snaplen)),
             Int32(try Limits.integer(bufferSize, option: "--buffer-size", unit: "MiB", range: Limits.bufferSize)),
             try duration.map { try Limits.seconds($0, option: "--duration", range: Limits.duration) })
        }
    }

    func validate() throws {
        try usage { _ = try limits }
        if report.format == .cbom { throw ValidationError("--format cbom is for replay (a bill of materials of a whole capture)") }
        if serveToken != nil && serve == nil { throw ValidationError("--serve-token goes with --serve") }
    }

    func run() throws {
        var options = try report.options()
        try gateway.apply(to: &options)
        // Live, a closed connection is reported 2 s after its FIN or RST (time for the
        // last ACKs), not the 15 s a replay allows for out-of-order captures.
        options.timeouts.linger = min(options.timeouts.linger, 2_000_000)
        let (snaplen, bufferMB, duration) = try limits
        // LIVE OBSERVERS HOOK (--metrics, --serve): the only place either attaches to the
        // pipeline, through RunOptions.observer (a LiveObserver: flows as they end, open
        // flows' growth about once a second per worker, capture totals and drops).
        var observers: [any LiveObserver] = []
        var server: MetricsServer?
        if let address = metrics {
            let fleet = FleetMetrics()
            server = try MetricsServer(address: address, metrics: fleet)
            observers.append(fleet)
            warn("serving metrics on http://\(MetricsServer.display(address, port: server!.boundPort))/metrics")
        }
        defer { server?.shutdown() }
        var live: LiveViewServer?
        if let address = serve {
            let rows = try Limits.integer(serveRows, option: "--serve-rows", unit: "flows", range: 1...100_000)
            let token = try serveToken.map { try LiveViewServer.readToken($0) }
            let view = LiveView(scenario: options.scenario, rows: rows, failOn: options.failOn)
            live = try LiveViewServer(address: address, token: token, view: view)
            observers.append(view)
            warn("serving the live view on http://\(MetricsServer.display(LiveViewServer.withDefaultHost(address), port: live!.boundPort))/" + (token == nil ? "" : " (add ?token=TOKEN once)"))
        }
        defer { live?.shutdown() }
        options.observer = observers.count > 1 ? LiveObservers(observers) : observers.first
        if report.scenario == nil { warn(DemarcCore.Replay.builtInNotice) }
        let result = try LiveMonitor.run(interface: interface, snaplen: snaplen, promiscuous: promiscuous,
                                         bufferMB: bufferMB, duration: duration, options: options, warn: warn)
        warnEvictions(result.header.summary, options)
        let status = result.exitStatus(failOn: options.failOn)
        if status != 0 { throw ExitCode(status) }
    }
}

struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Work with scenario files.",
        subcommands: [Check.self, Init.self, Schema.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a scenario file and summarise it.")

        @Argument(help: ArgumentHelp("Scenario file (YAML).", valueName: "file"))
        var file: String

        func run() throws {
            let s = try loadScenario(file)
            let out = Output(fd: 1)
            out.write(ScenarioSummary.text(s) + "\n")
            try out.commit()
        }
    }

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the JSON Schema of scenario files (for editors).",
            discussion: "Read as YAML 1.2 core types. Editors with a YAML language server use it through a first line `# yaml-language-server: $schema=PATH`; the repository ships it as docs/scenario.schema.json.")

        func run() throws {
            let out = Output(fd: 1)
            out.write(ScenarioSchema.json + "\n")
            try out.commit()
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Write a starting scenario for the captured network.",
            discussion: "The nodes given, zones for the address blocks seen (owners to confirm), and per segment the rules that allow what was seen, with default: deny; each entry says what it came from. Replaying the same captures against it gives no unfiltered-* finding. See docs/scenario-init.md.")

        @Argument(help: ArgumentHelp("Capture files (pcap or pcapng).", valueName: "capture"))
        var captures: [String]

        @Option(name: .long, help: ArgumentHelp("A provider node and its addresses (repeatable).", valueName: "name=addr[,addr...]"))
        var node: [String] = []

        @Option(name: [.short, .long], help: ArgumentHelp("Write the scenario to this file (default: standard output).", valueName: "file"))
        var output: String?

        @Flag(name: .long, inversion: .prefixedNo, help: "Show progress on standard error (default: when it is a terminal).")
        var progress: Bool?

        func validate() throws {
            if captures.isEmpty { throw ValidationError("give at least one capture file") }
            _ = try nodes()
        }

        func nodes() throws -> [Node] {
            try node.map { spec in
                let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--node takes NAME=ADDR[,ADDR...], not '\(spec)'") }
                let addresses = try parts[1].split(separator: ",").map { a in
                    guard let ip = IPAddress(String(a)) else { throw ValidationError("invalid address '\(a)' in --node \(spec)") }
                    return ip
                }
                if addresses.isEmpty { throw ValidationError("--node \(parts[0]) needs at least one address") }
                return Node(name: parts[0], role: "node", addresses: addresses)
            }
        }

        func run() throws {
            let (text, inputError) = try ScenarioInit.run(captures: captures, nodes: try nodes(),
                                            workers: max(1, min(256, sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
                                            progress: progress ?? (isatty(2) == 1), output: output, warn: warn)
            // What init writes must load; a --node name the loader refuses is said here.
            _ = try ScenarioLoader.parse(text, source: output ?? "the written scenario")
            let out = try output.map { try Output(path: $0) } ?? Output(fd: 1)
            out.write(text)
            try out.commit()
            if inputError != nil { throw ExitCode(2) }
        }
    }
}

// Map every failure to REPORT.md's exit statuses: usage and bad input 2, internal 3.
func finish(with error: Error) -> Never {
    switch error {
    case let e as DemarcError:
        warn(e.description)
        exit(e.exitCode)
    case let e as ExitCode:
        exit(e.rawValue)
    default:
        let code = Demarc.exitCode(for: error)
        if code == .success {
            print(Demarc.fullMessage(for: error))
            exit(0)
        }
        if code == .validationFailure {
            // Usage: ArgumentParser's message, exit status 2 (REPORT.md).
            Console.error(Demarc.fullMessage(for: error) + "\n")
            exit(2)
        }
        warn("internal error: \(error)")
        exit(3)
    }
}

// A crash is exit 3 at once, never a backtracer holding the caller's pipes.
CrashExit.install()
#if DEBUG
// Tests only (debug builds): a fatal error on demand, to check how a crash ends.
if getenv("DEMARC_TEST_CRASH") != nil { fatalError("crash forced by DEMARC_TEST_CRASH") }
#endif

// Bare `demarc` is a usage error, as with other multi-command tools.
if CommandLine.arguments.count == 1 {
    Console.error(Demarc.helpMessage() + "\n")
    exit(2)
}

// `demarc help NAME...` names commands that exist (ArgumentParser shows the top help, exit
// 0, for any other name).
if CommandLine.arguments.count > 2 && CommandLine.arguments[1] == "help" {
    var command: ParsableCommand.Type = Demarc.self
    for name in CommandLine.arguments.dropFirst(2) {
        let subcommands = command.configuration.subcommands
        guard let next = subcommands.first(where: { $0._commandName == name }) else {
            let known = subcommands.map { $0._commandName }.joined(separator: ", ")
            Console.error("Error: '\(name)' is not a command\(known.isEmpty ? "" : "; \(command._commandName) has: \(known)")\n")
            exit(2)
        }
        command = next
    }
}

do {
    // Every capture after the first is put back after parsing (see CaptureList).
    let (arguments, moreCaptures) = CaptureList.split(Array(CommandLine.arguments.dropFirst()))
    var command = try Demarc.parseAsRoot(arguments)
    if var replay = command as? Replay {
        replay.input.captures += moreCaptures
        command = replay
    } else if var diff = command as? Diff {
        diff.input.captures += moreCaptures
        command = diff
    }
    try command.run()
} catch {
    finish(with: error)
}
