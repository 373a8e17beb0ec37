// Glue between @jazzer.js/fuzzer 2.1.0's addon sources and the stock libFuzzer of Debian's
// libclang-rt-16-dev. The addon was written against a patched libFuzzer that adds three
// symbols and one behaviour; this file supplies them on top of the stock one.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace libfuzzer {
// Defined in the addon (shared/sanitizer_symbols.cpp): libFuzzer's death callback, which
// writes the crash-* file and prints the final stats.
extern void (*PrintCrashingInput)();
} // namespace libfuzzer

extern "C" {
// Stock libFuzzer entry points that take the caller's PC from the return address.
void __sanitizer_cov_trace_const_cmp8(uint64_t arg1, uint64_t arg2);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);

// The patched libFuzzer takes the comparison site from the caller (JS code has no PC). The
// stock one records the operands (the table-of-recent-compares that feeds CMP mutations)
// the same way; only the value profile (off unless -use_value_profile=1) loses the site.
void __sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t, uint64_t arg1, uint64_t arg2) {
  __sanitizer_cov_trace_const_cmp8(arg1, arg2);
}

void __sanitizer_cov_trace_pc_indir_with_pc(void *, uintptr_t callee) {
  __sanitizer_cov_trace_pc_indir(callee);
}

// Stock libFuzzer hands its death callback to the sanitizer runtime; there is none here, so
// keep it where the addon looks for it.
void __sanitizer_set_death_callback(void (*callback)()) { libfuzzer::PrintCrashingInput = callback; }

// The addon's callbacks return -2 to stop fuzzing after a finding (the finding is already
// printed and the crash-* file written); stock libFuzzer ignores that value and would go on
// calling into a JS context that has an exception pending. Linked with
// --wrap=<mangled fuzzer::FuzzerDriver>, so the addon's call lands here.
using UserCallback = int (*)(const uint8_t *, size_t);
int __real__ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE(int *argc, char ***argv, UserCallback cb);

static UserCallback gTarget = nullptr;

static int StopOnExitRequest(const uint8_t *data, size_t size) {
  int r = gTarget(data, size);
  if (r == -2) {
    fflush(stdout);
    fflush(stderr);
    _Exit(77);
  }
  return r;
}

int __wrap__ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE(int *argc, char ***argv, UserCallback cb) {
  gTarget = cb;
  return __real__ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE(argc, argv, StopOnExitRequest);
}
}
