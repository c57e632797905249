#!/usr/bin/env bash
# Build llama.cpp's own `llama-bench`, `llama-server`, `llama-perplexity` and
# `llama-quantize` from the exact llama.cpp that llama-cpp-python 0.3.36 vendors:
# the decode-fidelity benchmark compares accelmark with the same C code it runs
# on, the endpoint tests need a real OpenAI-compatible server with continuous
# batching and usage in streams, and bench/quality_fidelity.py compares the
# quality figures with llama-perplexity's. Binaries live in the user's cache (never committed); the script
# prints the directory holding them on the last line.
#
# With --shared-bench it builds (only) a llama-bench linked against shared
# libraries into $OUT/shared/: bench/decode_fidelity.py runs it with the
# llama.cpp libraries of the installed llama-cpp-python (LD_LIBRARY_PATH), so
# llama.cpp's own tool and accelmark execute the very same compiled code.
#
# On CPUs with AMX (or with --amx-fix) every C++ file gets accelmark's fix for
# GCC <= 12's AMX tile config (assets/llama/ggml_amx_tilecfg_fix.h, docs/amx.md),
# as the README's llama-cpp-python reinstall does; it is a no-op for newer GCC.
#
# Usage: bench/build_llama_tools.sh [--force] [--shared-bench] [--amx-fix]
# Env:   ACCELMARK_TOOLS_DIR (default ~/.cache/accelmark/llama-tools), JOBS (default nproc),
#        PYTHON (default: the repo venv's python, else python3).
set -euo pipefail

VERSION=0.3.36
OUT="${ACCELMARK_TOOLS_DIR:-$HOME/.cache/accelmark/llama-tools}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  if [[ -x "$HERE/../.venv/bin/python" ]]; then PYTHON="$HERE/../.venv/bin/python"; else PYTHON=python3; fi
fi

FORCE=0; SHARED=0; AMX_FIX=0
grep -qw amx_tile /proc/cpuinfo 2>/dev/null && AMX_FIX=1
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --shared-bench) SHARED=1 ;;
    --amx-fix) AMX_FIX=1 ;;
    *) echo "build_llama_tools: unknown option $arg" >&2; exit 2 ;;
  esac
done
if [[ $SHARED == 1 && -x "$OUT/shared/llama-bench" && $FORCE == 0 ]]; then
  echo "$OUT/shared"
  exit 0
fi
TOOLS=(llama-bench llama-server llama-perplexity llama-quantize)
HAVE=1
for tool in "${TOOLS[@]}"; do [[ -x "$OUT/$tool" ]] || HAVE=0; done
if [[ $SHARED == 0 && $HAVE == 1 && $FORCE == 0 ]]; then
  echo "$OUT"
  exit 0
fi

for tool in cmake c++ tar; do
  command -v "$tool" >/dev/null || { echo "build_llama_tools: '$tool' is required; install it and run again." >&2; exit 2; }
done

WORK="$OUT/src"
mkdir -p "$WORK"
SDIST="$(ls "$WORK"/llama_cpp_python-$VERSION.tar.gz 2>/dev/null || true)"
if [[ -z "$SDIST" ]]; then
  # The sdist (not a wheel): it carries vendor/llama.cpp at the pinned commit.
  "$PYTHON" -m pip download --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$WORK" >&2
  SDIST="$WORK/llama_cpp_python-$VERSION.tar.gz"
fi
SRC="$WORK/llama_cpp_python-$VERSION"
[[ -d "$SRC" ]] || tar -xzf "$SDIST" -C "$WORK"

LLAMA="$SRC/vendor/llama.cpp"
FIX=()
[[ $AMX_FIX == 1 ]] && FIX=("-DCMAKE_CXX_FLAGS=-include$HERE/../assets/llama/ggml_amx_tilecfg_fix.h")
if [[ $SHARED == 1 ]]; then
  cmake -S "$LLAMA" -B "$LLAMA/build-shared" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF ${FIX[@]+"${FIX[@]}"} \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=ON >&2
  cmake --build "$LLAMA/build-shared" --target llama-bench -j"$JOBS" >&2
  mkdir -p "$OUT/shared"
  # The tool and its own helper libraries; libllama/libggml come from the venv at run time.
  cp -P "$LLAMA"/build-shared/bin/llama-bench "$LLAMA"/build-shared/bin/libllama-bench-impl.so \
    "$LLAMA"/build-shared/bin/libllama-common.so* "$OUT/shared/"
  rm -rf "$SRC"
  echo "$OUT/shared"
  exit 0
fi
# GGML_NATIVE=ON matches a from-source llama-cpp-python build on this machine;
# curl is not needed: the tools only read local files.
cmake -S "$LLAMA" -B "$LLAMA/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF ${FIX[@]+"${FIX[@]}"} \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$LLAMA/build" --target "${TOOLS[@]}" -j"$JOBS" >&2

for tool in "${TOOLS[@]}"; do cp "$LLAMA/build/bin/$tool" "$OUT/"; done
# Keep the sdist (re-builds skip the download) but drop the build tree.
rm -rf "$SRC"
echo "$OUT"
