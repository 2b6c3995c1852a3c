"""The examples run from a fresh checkout and produce their outputs (reduced sizes)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_va_benchmark_example(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "va_benchmark.py"),
                          "--scale", "0.25", "--duration", "200", "--output", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "exc: mean rate" in out.stdout
    rate = float(out.stdout.split("exc: mean rate")[1].split("Hz")[0])
    assert 1.0 < rate < 100.0                   # the kick starts self-sustained activity
    assert (tmp_path / "va_benchmark_raster.png").stat().st_size > 10_000
    assert (tmp_path / "va_benchmark.pkl").stat().st_size > 1_000
