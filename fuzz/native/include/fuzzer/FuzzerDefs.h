// The two declarations of libFuzzer's internal FuzzerDefs.h that @jazzer.js/fuzzer's sources use.
// Debian's libclang-rt-*-dev ships the libFuzzer archive but not its internal headers; these
// match the symbols the archive defines (fuzzer::FuzzerDriver, with a plain function pointer).
#pragma once
#include <cstddef>
#include <cstdint>

namespace fuzzer {
typedef int (*UserCallback)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);
} // namespace fuzzer
