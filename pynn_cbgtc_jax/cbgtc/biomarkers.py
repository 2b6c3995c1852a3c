r"""Fleming et al. 2020's beta biomarker as a pure JAX function, for controllers that run inside
the compiled program.

The biomarker of a controller call is the **average rectified value (ARV) of the beta-filtered
LFP**: take the last ``2 s`` of the LFP sampled at ``fs = 2 kHz``, filter it forward and
backward (zero phase, SciPy's ``filtfilt``) with a 4th-order Chebyshev type I band-pass,
21-29 Hz, 0.5 dB ripple, rectify, and average samples ``[-400, -200)`` -- the 100 ms that end
100 ms before the call (the last 100 ms are the filter's edge).  Fleming's setpoint,
1.0414e-4 mV, is on this scale.

:func:`filtfilt` reproduces ``scipy.signal.filtfilt(b, a, x)`` with its defaults: the signal is
extended at both ends by an odd reflection of ``padlen = 3 max(len(a), len(b))`` samples (27
here), each pass starts from the filter's steady state for the first sample (``lfilter_zi``
scaled), and the padding is cut.  The filter runs as a cascade of second-order sections
(``cheby1(..., output="sos")``): the same transfer function, but numerically sound in float32,
where the direct form's poles at 0.97-0.99 of the unit circle would not be; each section starts
from its own steady state (``sosfilt_zi``), which in exact arithmetic is the same start.
(``tests/cbgtc/test_biomarkers.py`` compares with SciPy.)
"""
from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp

__all__ = ["beta_sos", "filtfilt", "beta_arv", "FS", "BAND", "WINDOW", "HISTORY"]

FS = 2000.0                 # Hz: Fleming's LFP sampling
BAND = (21.0, 29.0)         # Hz
WINDOW = (-400, -200)       # samples of the filtered history averaged (rectified)
HISTORY = 4000              # samples filtered per call (2 s at 2 kHz)


@lru_cache(maxsize=None)
def beta_sos(fs: float = FS, band: tuple = BAND, order: int = 4, ripple: float = 0.5):
    """``(sos [n, 6], zi [n, 2], padlen)`` of Fleming's band-pass (host NumPy constants)."""
    from scipy import signal
    nyquist = fs / 2.0
    wn = [band[0] / nyquist, band[1] / nyquist]
    sos = signal.cheby1(order, ripple, wn, "band", output="sos")
    b, a = signal.cheby1(order, ripple, wn, "band")
    return sos, signal.sosfilt_zi(sos), 3 * max(len(a), len(b))


def _sosfilt(sos, x, zi):
    """The cascade over ``x`` (1-D) from section states ``zi`` [n, 2] (transposed direct form
    II, as SciPy's ``sosfilt``)."""
    def section(y, coeffs):
        b0, b1, b2, _, a1, a2 = (coeffs[0][i] for i in range(6))
        z0 = coeffs[1]

        def step(z, xn):
            yn = b0 * xn + z[0]
            return jnp.stack([b1 * xn - a1 * yn + z[1], b2 * xn - a2 * yn]), yn
        _, out = jax.lax.scan(step, z0, y)
        return out, None

    for k in range(sos.shape[0]):
        x, _ = section(x, (sos[k], zi[k]))
    return x


def filtfilt(x, fs: float = FS, band: tuple = BAND):
    """Zero-phase band-pass of ``x`` (1-D), as ``scipy.signal.filtfilt(b, a, x)``."""
    sos_np, zi_np, padlen = beta_sos(fs, tuple(band))
    sos = jnp.asarray(sos_np, x.dtype)
    zi = jnp.asarray(zi_np, x.dtype)
    # odd extension (scipy.signal._arraytools.odd_ext)
    left = 2 * x[0] - x[padlen:0:-1]
    right = 2 * x[-1] - x[-2:-(padlen + 2):-1]
    ext = jnp.concatenate([left, x, right])
    y = _sosfilt(sos, ext, zi * ext[0])
    y = _sosfilt(sos, y[::-1], zi * y[-1])[::-1]
    return y[padlen:-padlen]


def beta_arv(history, fs: float = FS, band: tuple = BAND, window: tuple = WINDOW):
    """Fleming's biomarker of an LFP ``history`` (the last samples, oldest first): the mean of
    ``|filtfilt(history)|`` over ``window`` (sample indices counted from the end)."""
    filtered = filtfilt(history, fs, band)
    lo, hi = window
    return jnp.mean(jnp.abs(filtered[lo:hi]))
