import ArgumentParser
import DemarcCore

/// `demarc simulate`: the scenario judged with no traffic, or one flow answered from it.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "What a scenario allows, with no traffic: places, pairs, the filters' decision per service, and the scenario's own findings.",
        discussion: "Exit 1 when a finding is at or above --fail-on (default high): a scenario change can be gated in CI. With --flow FROM TO PROTO/PORT, answers for one flow (addresses, or node and zone names): segment, party, path, the deciding rule or default, whether encryption is required, and the findings it would get in cleartext, encrypted and unknown.")

    @Argument(help: ArgumentHelp("Scenario file (YAML).", valueName: "scenario"))
    var scenario: String

    @Option(name: .long, help: ArgumentHelp("Report format: table, json, markdown, html.", valueName: "format"))
    var format: ReportFormat = .table

    @Option(name: .long, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 if a scenario finding is at or above this severity (default high).", valueName: "severity"))
    var failOn: Severity = .high

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Answer for one flow: FROM TO PROTO/PORT (tcp/443; icmp, icmpv6, esp alone).", valueName: "from to service"))
    var flow: [String] = []

    func validate() throws {
        if !flow.isEmpty && flow.count != 3 { throw ValidationError("--flow takes three values: FROM TO PROTO/PORT") }
        if ![.table, .json, .markdown, .html].contains(format) { throw ValidationError("simulate writes table, json, markdown or html, not \(format.rawValue)") }
    }

    func run() throws {
        let s = try ScenarioLoader.load(path: scenario, warn: warn)
        let out = try output.map { try Output(path: $0) } ?? Output(fd: 1)
        if flow.count == 3 {
            let verdict = try FlowVerdict.verify(s, from: flow[0], to: flow[1], service: flow[2])
            out.write(SimulateReport.render(verdict, format: format))
            try out.commit()
            return
        }
        let sim = Simulation.run(s)
        SimulateReport.write(sim, format: format, to: out)
        try out.commit()
        if sim.fails(at: failOn) { throw ExitCode(1) }
    }
}
