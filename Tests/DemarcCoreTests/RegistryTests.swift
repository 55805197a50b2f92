import Testing
@testable import DemarcCore
@testable import DemarcBase
@testable import DemarcDecode
@testable import DemarcCapture
@testable import DemarcInspect
@testable import DemarcFlows
@testable import DemarcScenario
@testable import DemarcReport

@Suite struct RegistryTests {
    /// Every name a report can carry has exactly one registry line, and every line names
    /// a protocol (so AppProtocol has no case that nothing produces).
    @Test func everyReportedNameHasExactlyOneLine() {
        for app in AppProtocol.allCases where app != .unknown {
            let lines = ProtocolRegistry.entries.filter { $0.app == app }
            #expect(lines.count == 1, "\(app.name): \(lines.count) registry lines")
        }
        #expect(!ProtocolRegistry.entries.contains { $0.app == .unknown })
        #expect(AppProtocol.unknown.displayName == nil && AppProtocol.unknown.inherent == .unknown)
    }

    /// The cases are listed in the registry's order, so the case list reads as the
    /// registry does.
    @Test func casesFollowTheRegistry() {
        #expect(ProtocolRegistry.entries.map(\.app) == Array(AppProtocol.allCases.dropFirst()))
    }

    /// Each inspector appears once, in the order of its first line, and all of them fit
    /// the per-flow set of inspectors that said "not mine".
    @Test func inspectorsInPrecedenceOrder() {
        let inspectors = PayloadInspector.inspectors.map(ObjectIdentifier.init)
        #expect(Set(inspectors).count == inspectors.count)
        #expect(inspectors.count <= InspectorSet.capacity)
        var firstLines: [ObjectIdentifier] = []
        for e in ProtocolRegistry.entries where !firstLines.contains(ObjectIdentifier(e.inspector)) {
            firstLines.append(ObjectIdentifier(e.inspector))
        }
        #expect(firstLines == inspectors)
        // GTP-C before the overlays: GTP's path messages on GTP-C's port are the control plane's.
        let gtpc = inspectors.firstIndex(of: ObjectIdentifier(GTPControlInspector.self))!
        let overlays = inspectors.firstIndex(of: ObjectIdentifier(OverlayInspector.self))!
        #expect(gtpc < overlays)
    }

    /// A registered port belongs to one protocol, and every one of them orients flows.
    @Test func servicePortsComeFromTheRegistry() {
        let ports = ProtocolRegistry.entries.flatMap(\.ports)
        #expect(Set(ports).count == ports.count, "a port registered twice")
        #expect(ports.allSatisfy { $0 >= 1024 }, "ports below 1024 are service ports already")
        for p in ports + ServicePorts.otherServices { #expect(ServicePorts.contains(p)) }
        #expect(!ServicePorts.contains(40_000))
        #expect(ServicePorts.contains(443) && ServicePorts.contains(51820) && ServicePorts.contains(1521))
    }
}
