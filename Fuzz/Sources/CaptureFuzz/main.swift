import DemarcCore
import FuzzDriver

// Whole capture files, pcap and pcapng: the reader → the pipeline → the report
// (FuzzHarness.capture).
fuzz { FuzzHarness.capture($0) }
