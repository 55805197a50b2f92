import Testing
@testable import DemarcInspect

/// `AppProtocol.name` reads its names from a literal list: it must give every case its
/// own case name, in declaration order.
@Suite struct AppProtocolNameTests {
    @Test func namesAreTheCaseNames() {
        for p in AppProtocol.allCases {
            #expect(p.name == String(describing: p))
        }
    }
}
