import DemarcCore
import FuzzDriver

// The packet path: decode → flows → every inspector → the verdict (FuzzHarness.packets).
fuzz(FuzzHarness.packets)
