"""Random bits on the CPU: JAX's unrolled Threefry instead of its rolled CPU lowering.

Every random number of a run (Poisson and renewal sources, stochastic synapses and cells, noisy
currents) comes from ``jax.random``'s Threefry-2x32 hash.  JAX 0.10 lowers that hash on the CPU
as rolled loops (five ``while`` iterations of four rounds, a compile-time saving); later JAX
versions lower it unrolled on every platform.  On XLA:CPU each loop iteration is a separate
thunk, so for the small arrays of one step the loop overhead dominates: 1 000 draws of uniform
numbers took, on this project's 2-core CPU, 4.5 / 30 / 637 us each for 400 / 1 600 / 100 000
numbers rolled and 0.6 / 5.3 / 67 us unrolled (XLA's native ``rng_bit_generator``: 4.6 / 16 /
486 us).  The CBGTC benchmark at scale 1 (eight Poisson populations) stepped 1 s in 3.04 s rolled
and 2.14 s unrolled, with bitwise the same spikes, compiling about 1 s longer.

:func:`unroll_threefry_on_cpu` registers JAX's own unrolled lowering rule for the CPU where the
installed JAX still has the rolled one; it changes no random number, only how XLA computes them,
for every JAX program of the process.

Only on jax < 0.11 (``UNROLL_BELOW``).  jaxlib 0.12 (also rolled on the CPU) compiles with a
newer LLVM whose loop vectorizer takes minutes to hours on fusions holding unrolled Threefry
rounds fed by integer floor divisions (a stack of the stuck compile:
``IrCompiler::RunIrPasses -> LoopVectorizePass -> ... vputils::onlyFirstLaneUsed``, 80+ frames
deep): the network of ``tests/test_gpu_lowering.py`` had not compiled after 600 s with the
unrolled rule and compiles in 9.6 s without it (issue 18).  There JAX's rolled lowering stays,
at ~12 % more stepping time for the CBGTC benchmark at scale 0.25.
"""
from __future__ import annotations

__all__ = ["unroll_threefry_on_cpu", "restore_threefry_on_cpu", "UNROLL_BELOW", "wanted"]

UNROLL_BELOW = (0, 11)


def wanted(version: tuple) -> bool:
    """Whether the unrolled rule is worth registering on JAX ``version`` (major, minor, ...)."""
    return tuple(version[:2]) < UNROLL_BELOW


def unroll_threefry_on_cpu(force: bool = False) -> bool:
    """Use JAX's unrolled Threefry lowering on the CPU; True if a rolled one was replaced.

    Does nothing on jax >= 0.11 (see the module docstring) unless ``force`` (tests: the
    unrolled rule must draw JAX's own numbers on whichever version is installed).  The rule
    comes from JAX's private modules (``jax._src``): where they moved, or hold no CPU-specific
    rule, nothing is registered and JAX's own lowering stays -- the same numbers.
    """
    import jax
    if not (force or wanted(jax.__version_info__)):
        return False
    try:
        from jax._src.interpreters import mlir
        from jax._src.random import threefry2x32 as threefry
    except ImportError:          # another JAX layout: keep whatever it does
        return False
    if not hasattr(threefry, "_threefry2x32_cpu_lowering_rule"):
        return False             # no CPU-specific (rolled) rule: already unrolled
    mlir.register_lowering(threefry.threefry2x32_p, threefry._threefry2x32_lowering_rule,
                           platform="cpu", inline=False)
    return True


def restore_threefry_on_cpu() -> bool:
    """Put JAX's own (rolled) CPU lowering back; True if there was one to restore."""
    try:
        from jax._src.interpreters import mlir
        from jax._src.random import threefry2x32 as threefry
    except ImportError:
        return False
    rule = getattr(threefry, "_threefry2x32_cpu_lowering_rule", None)
    if rule is None:
        return False
    mlir.register_lowering(threefry.threefry2x32_p, rule, platform="cpu")
    return True
