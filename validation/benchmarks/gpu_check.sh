#!/usr/bin/env bash
# GPU check on a CUDA machine without network access, in one call of at most 10 minutes:
#   bash validation/benchmarks/gpu_check.sh [CARRY_DIR] [PARTS]
# CARRY_DIR (default gpu_carry, git-ignored) comes from gpu_prepare.sh: wheels + the shared
# benchmark scripts; with the device tool, carry it: run(carry=["gpu_carry"], ...).
# PARTS: a comma-separated choice of (default: all of them, in this order)
#   micro     the full-scale Potjans-Diesmann microcircuit (77k neurons, ~0.3 billion synapses,
#             K_scaling 1, Poisson drive): real-time factor, goal <= 1 (issue 15)
#   cbgtc     the shared CBGTC benchmark at scale 200 = 1M neurons, ~137M synapses (NativeRNG
#             connections), 1 s at dt = 0.1 ms: goal >= 0.1x real time (issue 15)
#   profile   where the full-scale microcircuit's step goes (profile_step.py: ops ranked)
#   pcbgtc    where the 1M-neuron CBGTC benchmark's step goes (the same, --network cbgtc)
#   kernels   1M STN neurons at dt = 0.01 ms (neuron-steps/s, goal >= 1e10), kernel table
#   ensembles the CBGTC example and COBA 4000 as ensembles of 64 / 256 members (issue 14)
#   cable     the multi-compartment solver: 1k-100k ball-and-stick cells of 100 compartments
#   mc        the same through PyNN's API (MultiCompartmentNeuron, scenario5's cell, 33 nodes):
#             1k-100k cells, 50 ms at dt 0.025 (bench_mc_pynn.py)
#   fleming   Fleming et al. 2020's network (100 cells per population, dt 0.01 ms) as one
#             ensemble: off / open / P / PI amplitude x 8 seeds = 32 members, 0.5 s + 1 s
#             (issue 17: RTF per member; the paper's ten 30 s runs need it well below 1)
#   tests     the GPU-relevant tests (until the deadline)
# Each part runs under its own timeout, inside a deadline of GPU_DEADLINE seconds (default 540)
# from the start, so a failing or slow part leaves the next its time.  Everything printed goes
# to ${OUT:-.}/gpu_check.log, the JSON lines of the benchmarks to ${OUT:-.}/gpu_check.jsonl.
set -uo pipefail
cd "$(dirname "$0")/../.."
CARRY="${1:-gpu_carry}"
PARTS=",${2:-micro,cbgtc,profile,pcbgtc,kernels,ensembles,cable,mc,fleming,tests},"
DEADLINE="${GPU_DEADLINE:-540}"
LOG="${OUT:-.}/gpu_check.log"
JSON="${OUT:-.}/gpu_check.jsonl"
export PYTHONUNBUFFERED=1
exec > >(tee -a "$LOG") 2>&1
if [ -d "$CARRY/wheels" ]; then   # the machine's own numpy/scipy/jax stay; these go beside them
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site "$CARRY"/wheels/*.whl && export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
BENCH="$CARRY/bench"; [ -d "$BENCH" ] || BENCH=../shared/bench
B=validation/benchmarks
python3 -c "import jax; d = jax.devices()[0]; print('device:', d, d.device_kind, '| jax', jax.__version__)"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null
echo "## GPU run $(date -u '+%F %T'), parts: $PARTS"

left() { local t=$((DEADLINE - SECONDS)); [ "$t" -lt "$1" ] && echo "$t" || echo "$1"; }
part() {  # part NAME MAX_SECONDS COMMAND...
  local name=$1 max=$2; shift 2
  [[ "$PARTS" == *",$name,"* ]] || return 0
  local t; t=$(left "$max")
  if [ "$t" -le 5 ]; then echo "### $name: skipped, deadline"; return 0; fi
  echo "### $name (timeout ${t}s, at ${SECONDS}s)"
  timeout "$t" "$@"; echo "### $name: exit $? after ${SECONDS}s"
}

part micro 260 python3 $B/bench_microcircuit.py --scale 1 --k-scale 1 --first-run 10 \
  --warmup 100 --sim-time 1000 --record --json "$JSON"
part cbgtc 170 python3 $B/bench_cbgtc_large.py --bench-dir "$BENCH" --scale 200 \
  --duration 1000 --json "$JSON"
part profile 100 python3 $B/profile_step.py --scale 1 --k-scale 1 --warmup 20 --duration 20 \
  --top 30
part pcbgtc 120 python3 $B/profile_step.py --network cbgtc --bench-dir "$BENCH" --scale 200 \
  --warmup 10 --duration 10 --top 30
part kernels 40 python3 $B/bench_kernels.py --models STN --sizes 1000000 --dt 0.01 \
  --steps 500 --repeat 3
part ensembles 80 python3 $B/bench_ensembles.py --networks cbgtc coba --members 64 256 \
  --coba-members 8 64 --duration 200 --sequential 2
part cable 40 python3 $B/bench_cable.py --cells 1000,10000,100000 --no-neuron
part mc 60 python3 $B/bench_mc_pynn.py --cells 1000,10000,100000 --duration 50 --simulators jax
part fleming 150 python3 examples/fleming2020_closed_loop.py --cells 100 --warmup 500 \
  --duration 1000 --seeds 8 --conditions off open p_amplitude pi_amplitude --no-figure
part tests 200 python3 -m pytest -q -p no:cacheprovider tests/test_engine_contracts.py \
  tests/test_delivery.py tests/test_lif_closed_form.py tests/test_spike_sources.py \
  tests/test_ensembles.py tests/kernels
echo "gpu_check done after ${SECONDS}s"
