#!/usr/bin/env bash
# Prepare, on a machine with network, what gpu_check.sh needs on a CUDA machine without one:
#   bash validation/benchmarks/gpu_prepare.sh [CARRY_DIR]        (default: gpu_carry, git-ignored)
# CARRY_DIR/wheels: PyNN, neo, quantities, lazyarray, nixio, filelock and their pure/binary dependencies
# for CPython 3.12 on x86-64 Linux (the CUDA machine brings jax, numpy, scipy, pytest);
# CARRY_DIR/bench: the shared benchmark scripts (../shared/bench), which live outside the
# repository.  Hand CARRY_DIR to the CUDA machine with the working tree (about 7 MB), then run
#   bash validation/benchmarks/gpu_check.sh CARRY_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY="${1:-gpu_carry}"
mkdir -p "$CARRY/wheels"
pip download -q --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
  --platform any -d "$CARRY/wheels" PyNN neo quantities lazyarray nixio filelock
rm -f "$CARRY"/wheels/numpy-*.whl      # keep the CUDA machine's own numpy
rm -rf "$CARRY/bench" && cp -r ../shared/bench "$CARRY/bench"
du -sh "$CARRY"
