import DemarcCore
import FuzzDriver

// The command line's numeric options and BPF filters (Limits, then libpcap's compiler).
fuzz { FuzzHarness.options($0) }
