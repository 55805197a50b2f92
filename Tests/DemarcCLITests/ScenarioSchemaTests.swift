import Foundation
import Testing

/// The JSON Schema of scenario files and the loader agree: the shipped file is the
/// command's output, every bundled scenario validates, and every scenario the loader
/// refuses the schema refuses too, except the cases listed here that a schema cannot
/// judge. Where the loader accepts more than the schema, the cases are listed too
/// (README, "Readings of the spec").
@Suite struct ScenarioSchemaTests {
    static let schemaPath = CLI.packageRoot.appendingPathComponent("docs/scenario.schema.json").path

    /// Scenario files the schema refuses, by path (one python3 run for them all).
    static func schemaRefuses(_ texts: [String]) throws -> [Bool] {
        let paths = try texts.enumerated().map { try CLI.temp("s\($0.offset).yaml", text: $0.element) }
        let out = try CLI.output(of: "/usr/bin/env", ["python3", "scripts/check-scenario-schema.py", schemaPath] + paths)
        let refused = Set(out.split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) })
        return paths.map { refused.contains($0) }
    }

    static func loaderRefuses(_ text: String) throws -> Bool {
        let r = try CLI.run(["scenario", "check", try CLI.temp("s.yaml", text: text)], timeout: 20)
        #expect(r.status == 0 || r.status == 2, "\(r.stderr)")
        return r.status == 2
    }

    static var canValidate: Bool {
        (try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", "import jsonschema, yaml"]))
            .map { p in p.waitUntilExit(); return p.terminationStatus == 0 } ?? false
    }

    static let zone = "scenario: t\nnodes:\n  gw: {addresses: [192.0.2.1]}\nzones:\n  lan: {owner: customer, cidrs: [10.0.0.0/8]}\n"

    /// Bad input as SCENARIO.md lists it, one case per kind the schema judges.
    static let badInput = [
        "scenario: t\nzonez: {}\n",
        "scenario: t\nnodes:\n  n: {addresses: [10.0.0.256]}\n",
        "scenario: t\nzones:\n  z: {owner: nobody, cidrs: [10.0.0.0/8]}\n",
        "scenario: t\nzones:\n  z: {owner: customer}\n",
        "scenario: t\nzones:\n  unknown: {owner: customer, cidrs: [10.0.0.0/8]}\n",
        "scenario: t\nnodes:\n  any: {addresses: [10.0.0.1]}\n",
        "scenario: t\nzones:\n  z: {owner: customer, cidrs: [10.0.0.0/8], sensitive: maybe}\n",
        zone + "filters:\n  egress: {rules: [{to: lan, responsible: boss}]}\n",
        zone + "filters:\n  egress: {rules: [{to: lan, action: deny, cleartext: accepted}]}\n",
        zone + "filters:\n  egress: {rules: [{to: lan, cleartext: yes}]}\n",
        zone + "filters:\n  internal: {default: deny}\n",
        zone + "filters:\n  egress: {default: reject}\n",
        zone + "filters:\n  egress: {rules: [{ports: [tcp/65536]}]}\n",
        zone + "responsibility: {egress: nobody}\n",
        zone + "encryption: {link: required}\n",
        zone + "encryption: {egress: mandatory}\n",
        zone + "encryption: {customer_ca: {}}\n",
        zone + "encryption: {customer_ca: {sha256: [abcd]}}\n",
        zone + "expect:\n  - {none: unencrypted-everything}\n",
        zone + "expect:\n  - {max: {severity: high}}\n",
        zone + "expect:\n  - {max: {severity: huge, count: 0}}\n",
        zone + "expect:\n  - {none: unfiltered-egress, max: {severity: high, count: 0}}\n",
        zone + "accept:\n  - {finding: no-such-code, owner: a, reason: b, until: 2027-01-01}\n",
        zone + "accept:\n  - {finding: unfiltered-egress, reason: b, until: 2027-01-01}\n",
        zone + "accept:\n  - {finding: unfiltered-egress, owner: \" \", reason: b, until: 2027-01-01}\n",
        zone + "accept:\n  - {finding: unfiltered-egress, owner: a, reason: b, until: 2027-13-01}\n",
        zone + "accept:\n  - {finding: unfiltered-egress, owner: a, reason: b, until: next year}\n",
    ]

    /// What the schema cannot judge: the loader refuses these, the schema accepts them.
    /// References across the file (a rule or `via` naming an unknown node or zone),
    /// duplicates (YAML readers keep the last of two equal keys; uniqueness across
    /// nodes, zones and rule names), calendar dates, and IPv6 text the schema's pattern
    /// only approximates.
    static let schemaCannotJudge = [
        zone + "filters:\n  egress: {rules: [{to: lna}]}\n",
        "scenario: t\nzones:\n  z: {owner: customer, cidrs: [10.0.0.0/8], via: gw}\n",
        "scenario: t\nnodes:\n  a: {addresses: [10.0.0.1]}\n  b: {addresses: [10.0.0.1]}\n",
        "scenario: t\nnodes:\n  a: {addresses: [10.0.0.1]}\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8]}\n",
        "scenario: t\nzones:\n  a: {owner: customer, cidrs: [10.0.0.0/8]}\n  b: {owner: customer, cidrs: [10.0.0.0/8]}\n",
        zone + "filters:\n  egress: {rules: [{name: r, to: lan}, {name: r, to: gw}]}\n",
        zone + "accept:\n  - {finding: unfiltered-egress, owner: a, reason: b, until: 2027-02-30}\n",
        "scenario: t\nnodes:\n  n: {addresses: [\"1:::2\"]}\n",
        // The two cases of HostileInputTests with a duplicate key.
        HostileInputTests.hostileScenarios[0].0,
        HostileInputTests.hostileScenarios[1].0,
    ]

    /// What the loader accepts and the schema does not, by choice: the loader reads
    /// every scalar as text, so it takes `yes`/`no`/`on`/`off` and quoted `"true"` for
    /// a boolean, a quoted number for `count`, a number for a name; it lowercases
    /// ports (`TCP/443`) and reads a port's leading zeros. The schema asks for the one
    /// spelling the spec writes, which every such file can be rewritten to.
    static let loaderAcceptsMore = [
        "scenario: t\nzones:\n  z: {owner: customer, cidrs: [10.0.0.0/8], sensitive: yes}\n",
        "scenario: t\nzones:\n  z: {owner: customer, cidrs: [10.0.0.0/8], sensitive: \"true\"}\n",
        zone + "filters:\n  egress: {rules: [{to: lan, ports: TCP/443}]}\n",
        zone + "filters:\n  egress: {rules: [{to: lan, ports: tcp/0443}]}\n",
        zone + "expect:\n  - {max: {severity: high, count: \"3\"}}\n",
        "scenario: 2026\n",
    ]

    @Test func shippedSchemaIsTheCommandsOutput() throws {
        let r = try CLI.run(["scenario", "schema"])
        #expect(r.status == 0, "\(r.stderr)")
        let shipped = try String(contentsOfFile: Self.schemaPath, encoding: .utf8)
        #expect(r.stdout == shipped, "docs/scenario.schema.json differs from `demarc scenario schema`: regenerate it")
        let schema = try #require(CLI.json(r.stdout))
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }

    @Test func everyBundledScenarioValidatesAndNamesTheSchema() throws {
        guard Self.canValidate else { return }
        let dir = CLI.packageRoot.appendingPathComponent("scenarios")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 7)
        let texts = try files.map { try String(contentsOfFile: dir.appendingPathComponent($0).path, encoding: .utf8) }
        for (file, refused) in zip(files, try Self.schemaRefuses(texts)) { #expect(!refused, "\(file) does not validate") }
        for (file, text) in zip(files, texts) {
            let up = String(repeating: "../", count: file.split(separator: "/").count)
            #expect(text.contains("# yaml-language-server: $schema=\(up)docs/scenario.schema.json\n"), "\(file)")
        }
    }

    @Test func everyRefusedScenarioIsRefusedByBoth() throws {
        guard Self.canValidate else { return }
        let judged = Set(Self.schemaCannotJudge)
        let cases = ScenarioStrictnessTests.refusedCases.map(\.yaml) + HostileInputTests.hostileScenarios.map(\.0) + Self.badInput
        let schema = try Self.schemaRefuses(cases)
        for (text, refused) in zip(cases, schema) {
            #expect(try Self.loaderRefuses(text), "the loader accepts: \(text)")
            if judged.contains(text) { continue }
            #expect(refused, "the schema accepts what the loader refuses: \(text)")
        }
    }

    /// The listed exceptions hold as listed, so the list stays true.
    @Test func theListedDifferencesHold() throws {
        guard Self.canValidate else { return }
        for (text, refused) in zip(Self.schemaCannotJudge, try Self.schemaRefuses(Self.schemaCannotJudge)) {
            #expect(try Self.loaderRefuses(text), "the loader accepts: \(text)")
            #expect(!refused, "the schema judges it after all; move it out of schemaCannotJudge: \(text)")
        }
        for (text, refused) in zip(Self.loaderAcceptsMore, try Self.schemaRefuses(Self.loaderAcceptsMore)) {
            #expect(try !Self.loaderRefuses(text), "the loader refuses: \(text)")
            #expect(refused, "the schema accepts it: \(text)")
        }
    }
}
