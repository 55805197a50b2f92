// The pipeline's module re-exports the stages, so that the command line, the tests and
// the fuzzers see one library, as before the split.
@_exported import DemarcBase
@_exported import DemarcDecode
@_exported import DemarcCapture
@_exported import DemarcInspect
@_exported import DemarcFlows
@_exported import DemarcScenario
@_exported import DemarcReport
