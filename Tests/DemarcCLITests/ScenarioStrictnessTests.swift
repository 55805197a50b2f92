import Foundation
import Testing

/// What the scenario loader refuses or accepts where YAML would let either through, and
/// messages that say how to fix the file: each case is a scenario, the exit status and
/// the message after `FILE:`.
@Suite struct ScenarioStrictnessTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var yaml: String
        var message: String
        var testDescription: String { message }
    }

    static let zone = "scenario: t\nzones:\n  lan: {owner: customer, cidrs: [10.0.0.0/8]}\n"

    /// Scenarios the loader refuses (ScenarioSchemaTests checks the schema refuses them too).
    static let refusedCases = [
        Case(yaml: "scenario: t\nnodes:\n  a: {addresses: [10.0.0.1, 10.0.0.1]}\n",
             message: "3:29: address 10.0.0.1 is listed twice in node 'a'"),
        Case(yaml: "scenario: t\nzones:\n  z: {owner: customer, cidrs: [10.0.0.0/08]}\n",
             message: "3:32: invalid CIDR '10.0.0.0/08' in zone 'z': the prefix length '08' has a leading zero"),
        Case(yaml: "scenario: t\nzones:\n  z: {owner: customer, cidrs: [10.0.0.0/33]}\n",
             message: "3:32: invalid CIDR '10.0.0.0/33' in zone 'z': the prefix length 33 is over 32"),
        Case(yaml: "scenario: t\nzones:\n  z: {owner: customer, cidrs: [\"2001:db8::/129\"]}\n",
             message: "3:32: invalid CIDR '2001:db8::/129' in zone 'z': the prefix length 129 is over 128"),
        Case(yaml: zone + "filters:\n  egress: {rules: [{ports: tcp/+443}]}\n",
             message: "5:28: invalid port 'tcp/+443' in rule 'egress-1'"),
        Case(yaml: zone + "filters:\n  egress: {rules: [{ports: [tcp/-1]}]}\n",
             message: "5:29: invalid port 'tcp/-1' in rule 'egress-1'"),
        Case(yaml: zone + "filters:\n  egress: {rules: [{name: never, ports: []}]}\n",
             message: "5:41: `ports` in rule 'never' is an empty list, so it can never match"),
        Case(yaml: zone + "filters:\n  egress: {rules: [{name: never, from: []}]}\n",
             message: "5:40: `from` in rule 'never' is an empty list, so it can never match"),
        Case(yaml: zone + "filters:\n  egress: {rules: [{name: never, to: ~}]}\n",
             message: "5:38: `to` in rule 'never' is empty, so it can never match"),
        Case(yaml: "scenario: t\nzones:\n  z: {owner: customer, cidrs: []}\n",
             message: "3:31: `cidrs` in zone 'z' is an empty list"),
        Case(yaml: "scenario: t\nnodes:\n\ta: {addresses: [10.0.0.1]}\n",
             message: "3:1: not valid YAML: found character that cannot start any token while scanning for the next token; line 3 indents with a tab, and YAML indentation must be spaces"),
        Case(yaml: "scenario: t\nnodes:\n  a: {addresses: [10.0.0.1]}\n   b: {addresses: [10.0.0.2]}\n",
             message: "4:4: not valid YAML: did not find expected key while parsing a block mapping; the indentation is the likely cause"),
        Case(yaml: "scenario: \"gw\u{202E}1\"\n", message: "1:11: `scenario` contains the invisible or direction-changing character U+202E"),
        Case(yaml: "scenario: t\nnodes:\n  \"gw\u{200B}\": {addresses: [10.0.0.1]}\n",
             message: "3:3: `name` contains the invisible or direction-changing character U+200B"),
    ]

    @Test(arguments: refusedCases)
    func refused(_ c: Case) throws {
        let path = try CLI.temp("s.yaml", text: c.yaml)
        let r = try CLI.run(["scenario", "check", path])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("demarc: \(path):\(c.message)"), "\(r.stderr)")
    }

    /// One value stands for a list of one wherever a list is taken; right-to-left text
    /// and its marks stay allowed in a description.
    @Test func oneValueIsAListOfOne() throws {
        let yaml = """
            scenario: t
            description: "\u{05E9}\u{05DC}\u{05D5}\u{05DD} \u{200F}branch"
            nodes:
              gw: {role: gateway, addresses: 10.0.0.1}
            zones:
              lan: {owner: customer, cidrs: 10.1.0.0/16}
            filters:
              ingress: {rules: [{from: lan, to: gw, ports: tcp/443}]}

            """
        let r = try CLI.run(["scenario", "check", try CLI.temp("s.yaml", text: yaml)])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// `scenario check -` reads standard input, as replay reads a capture from it.
    @Test func checkReadsStandardInput() throws {
        let good = try CLI.run(["scenario", "check", "-"], stdin: CLI.packageRoot.appendingPathComponent("scenarios/overlay-network.yaml").path)
        #expect(good.status == 0, "\(good.stderr)")
        let bad = try CLI.run(["scenario", "check", "-"], stdin: try CLI.temp("b.yaml", text: "scenario: t\nnodes: [\n"))
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("demarc: standard input:"), "\(bad.stderr)")
    }
}
