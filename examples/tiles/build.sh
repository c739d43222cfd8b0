#!/usr/bin/env bash
# Rebuilds render.wasm from render.c with Debian's clang and wasi-libc. The module is committed,
# so running the example needs no compiler; run this after changing render.c.
# Needs: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wl,--strip-all render.c -o render.wasm
echo "built render.wasm ($(stat -c %s render.wasm) bytes)"
