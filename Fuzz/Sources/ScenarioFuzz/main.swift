import DemarcCore
import FuzzDriver

// The scenario loader (libyaml's events, the compact document, every rule of SCENARIO.md).
fuzz { FuzzHarness.scenario($0) }
