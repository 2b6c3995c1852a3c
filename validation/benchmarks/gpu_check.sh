#!/usr/bin/env bash
# GPU check, one command on a CUDA machine without network access:
#   bash validation/benchmarks/gpu_check.sh [WHEEL_DIR]
# Installs the project and its pure-Python dependencies from WHEEL_DIR (wheels made beforehand
# with `pip download -d WHEEL_DIR PyNN neo quantities lazyarray nixio elephant` on a machine with
# network), prints the device, runs the GPU-relevant tests (engine contracts, delivery, kernels,
# recording) and the benchmarks, and appends the tables to RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
WHEELS="${1:-wheels}"
if [ -d "$WHEELS" ]; then
  pip install --no-index --find-links "$WHEELS" -q PyNN neo quantities lazyarray nixio || true
fi
pip install --no-deps --no-build-isolation -q -e . 2>/dev/null || export PYTHONPATH="$PWD:${PYTHONPATH:-}"
python -c "import jax; print('device:', jax.devices()[0], '| jax', jax.__version__)"
python -m pytest -q -p no:cacheprovider -m "not nest" tests/test_engine_contracts.py \
  tests/test_delivery.py tests/test_lif_closed_form.py tests/test_recording.py tests/kernels || true
{
  echo; echo "## GPU run $(date -u +%F) on $(python -c 'import jax; print(jax.devices()[0].device_kind)')"
  python validation/benchmarks/bench_kernels.py --sizes 1000,10000,100000,1000000
  if [ -d ../shared/bench ]; then
    python validation/benchmarks/run_benchmarks.py --no-nest --scales 1,4,16
  fi
} | tee -a validation/benchmarks/RESULTS.md
