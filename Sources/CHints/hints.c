/* CHints is header-only (include/hints.h); SwiftPM needs a source file for a C target. */
#include "hints.h"
