#!/usr/bin/env bash
# Build llama.cpp's own `llama-bench` from the exact llama.cpp that
# llama-cpp-python 0.3.36 vendors, so the decode-fidelity benchmark compares
# accelmark with the same C code it runs on. The binary lives in the user's
# cache (never committed); the script prints its path on the last line.
#
# Usage: bench/build_llama_bench.sh [--force]
# Env:   ACCELMARK_CACHE_DIR (default ~/.cache/accelmark), JOBS (default nproc),
#        PYTHON (default: the repo venv's python, else python3).
set -euo pipefail

VERSION=0.3.36
CACHE="${ACCELMARK_CACHE_DIR:-$HOME/.cache/accelmark}"
OUT="$CACHE/llama-bench"
BIN="$OUT/llama-bench"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  if [[ -x "$HERE/../.venv/bin/python" ]]; then PYTHON="$HERE/../.venv/bin/python"; else PYTHON=python3; fi
fi

if [[ -x "$BIN" && "${1:-}" != "--force" ]]; then
  echo "$BIN"
  exit 0
fi

for tool in cmake c++ tar; do
  command -v "$tool" >/dev/null || { echo "build_llama_bench: '$tool' is required; install it and run again." >&2; exit 2; }
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
# GGML_NATIVE=ON matches a from-source llama-cpp-python build on this machine;
# curl is not needed to benchmark a local file.
cmake -S "$LLAMA" -B "$LLAMA/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$LLAMA/build" --target llama-bench -j"$JOBS" >&2

cp "$LLAMA/build/bin/llama-bench" "$BIN"
# Keep the sdist (re-builds skip the download) but drop the build tree.
rm -rf "$SRC"
echo "$BIN"
