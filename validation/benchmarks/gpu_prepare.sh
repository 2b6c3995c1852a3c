#!/usr/bin/env bash
# Prepare, on a machine with network, what gpu_check.sh needs on a CUDA machine without one:
#   bash validation/benchmarks/gpu_prepare.sh [CARRY_DIR]        (default: gpu_carry, git-ignored)
# CARRY_DIR/wheels: PyNN, neo, quantities, lazyarray, and for multi-compartment cells libNeuroML,
# lxml, natsort, networkx and morphio, for CPython 3.12 on x86-64 Linux (the CUDA machine brings
# jax, numpy, scipy, pytest, packaging);
# CARRY_DIR/bench: the shared benchmark scripts (../shared/bench), which live outside the
# repository.  About 1.3 MB.  Then, with the device tool:
#   run(carry=["gpu_carry"], command="bash validation/benchmarks/gpu_check.sh gpu_carry")
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY="${1:-gpu_carry}"
rm -rf "$CARRY/wheels" && mkdir -p "$CARRY/wheels"
# libNeuroML (+ lxml, natsort, networkx, pyyaml?) and morphio: the multi-compartment part
for pkg in PyNN==0.13.0 neo quantities lazyarray libNeuroML lxml natsort networkx morphio; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux2014_x86_64 --platform any -d "$CARRY/wheels" "$pkg"
done
rm -rf "$CARRY/bench" && cp -r ../shared/bench "$CARRY/bench"
du -sh "$CARRY"
