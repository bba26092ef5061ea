#pragma once
// Where the time of a run goes, for whoever profiles it: with IOTAUDIT_TRACE set in the
// environment, trace::mark() records the moment each phase ends (and on which thread), and
// trace::report() prints them to stderr, in milliseconds since the first mark. Without it, a mark
// costs one test of a flag.
#include <string_view>

namespace iotaudit::trace {

// Whether IOTAUDIT_TRACE is set (read once).
bool enabled();
// Records `what` (a string literal: it is kept by pointer). Thread-safe; at most 256 marks are
// kept, later ones are counted and dropped.
void mark(const char* what);
// Prints the marks (once); nothing when tracing is off.
void report();

}  // namespace iotaudit::trace
