#!/bin/sh
# Makes `npm run fuzz` runnable on a fresh Debian 12 machine: Debian's libFuzzer, the fuzzer's npm
# packages (fuzz/package-lock.json), and Jazzer.js's native addon built from the sources that its
# npm package carries. Idempotent; takes well under a minute once the apt package is there.
#
# Why a build: @jazzer.js/core 4.x ships only prebuilt addons that need glibc 2.38, and 2.x
# downloads its prebuilt addon (or the LLVM sources it builds one from) from outside the npm
# registry. 2.1.0's package holds the addon's C++ sources; we compile them with g++ against the
# stock libFuzzer of libclang-rt-16-dev, plus fuzz/native/ for the few symbols of Jazzer's
# patched libFuzzer that the stock one lacks.
set -eu
cd "$(dirname "$0")/.."

LLVM=16
LIBFUZZER=/usr/lib/llvm-$LLVM/lib/clang/$LLVM/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a

if [ ! -f "$LIBFUZZER" ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
  echo "fuzz-setup: installing libclang-rt-$LLVM-dev (libFuzzer)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "libclang-rt-$LLVM-dev" >/dev/null
fi

# --ignore-scripts: the addon's own install script would try to download a prebuilt binary.
if [ ! -f fuzz/node_modules/.package-lock.json ] ||
  [ fuzz/package-lock.json -nt fuzz/node_modules/.package-lock.json ]; then
  npm ci --prefix fuzz --ignore-scripts --no-audit --no-fund
fi

SRC=fuzz/node_modules/@jazzer.js/fuzzer
OUT=$SRC/build/Release/jazzerjs.node
if [ ! -f "$OUT" ] || [ fuzz/native/jazzer-shim.cpp -nt "$OUT" ] || [ "$0" -nt "$OUT" ]; then
  echo "fuzz-setup: building $OUT"
  mkdir -p "$SRC/build/Release"
  NODE_INCLUDE=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
  # The addon throws Napi::Error, so C++ exceptions on; NAPI_VERSION as its CMakeLists sets it.
  g++ -O2 -std=c++17 -shared -fPIC -DNAPI_VERSION=4 -DNAPI_CPP_EXCEPTIONS \
    -Ifuzz/native/include -I"$NODE_INCLUDE" -Ifuzz/node_modules/node-addon-api \
    "$SRC"/*.cpp "$SRC"/shared/*.cpp fuzz/native/jazzer-shim.cpp \
    -Wl,--wrap=_ZN6fuzzer12FuzzerDriverEPiPPPcPFiPKhmE \
    -Wl,--whole-archive "$LIBFUZZER" -Wl,--no-whole-archive \
    -o "$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
fi
node -e "require('./fuzz/node_modules/@jazzer.js/fuzzer')" && echo "fuzz-setup: Jazzer.js addon loads"
