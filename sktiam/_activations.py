"""Monotone activations and their interval preimages.

Each activation supplies ``sigma`` and the map from an output interval
``[lo, hi]`` to the input interval ``{z : lo <= sigma(z) <= hi}``. That map is
all the hidden pre-activation step needs: for a non-decreasing ``sigma`` the
set is a box, so the constrained step is a clip.

Every function takes the array namespace ``xp`` as its first argument and
never imports an array library itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._backend import clip_into

Array = Any


def device_of(array: Array) -> Any:
    """Return the device of ``array``, for creating new arrays beside it.

    The array API standard spells it ``array.device``; NumPy arrays before
    NumPy 2 and CuPy's lack that attribute, and get None (the default device).
    """
    return getattr(array, "device", None)


def _relu(xp: Any, z: Array, slope: float) -> Array:
    return xp.maximum(z, 0.0)


def _relu_inverse(xp: Any, y: Array, slope: float) -> Array:
    # On [0, inf) the largest z with relu(z) <= y is y itself.
    return xp.maximum(y, 0.0)


def _leaky_relu(xp: Any, z: Array, slope: float) -> Array:
    return xp.where(z >= 0, z, slope * z)


def _leaky_relu_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.where(y >= 0, y, y / slope)


def _elu(xp: Any, z: Array, slope: float) -> Array:
    return xp.where(z > 0, z, xp.expm1(xp.minimum(z, 0.0)))


def _elu_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.where(y > 0, y, xp.log1p(xp.minimum(y, 0.0)))


def _softplus(xp: Any, z: Array, slope: float) -> Array:
    return xp.logaddexp(xp.zeros_like(z), z)


def _softplus_inverse(xp: Any, y: Array, slope: float) -> Array:
    # log(exp(y) - 1) written so that it neither overflows nor cancels.
    return y + xp.log(-xp.expm1(-y))


def _tanh(xp: Any, z: Array, slope: float) -> Array:
    return xp.tanh(z)


def _tanh_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.atanh(y)


def logistic(xp: Any, z: Array) -> Array:
    """Return ``1 / (1 + exp(-z))`` without overflow.

    Written as ``exp(-log(1 + exp(-z)))``, it keeps full relative precision
    for very negative ``z``.
    """
    return xp.exp(-xp.logaddexp(xp.zeros_like(z), -z))


def _logistic(xp: Any, z: Array, slope: float) -> Array:
    return logistic(xp, z)


def _logistic_inverse(xp: Any, y: Array, slope: float) -> Array:
    return xp.log(y) - xp.log1p(-y)


def _identity(xp: Any, z: Array, slope: float) -> Array:
    return z


def _identity_inverse(xp: Any, y: Array, slope: float) -> Array:
    return y


@dataclass(frozen=True)
class _Spec:
    function: Callable[[Any, Array, float], Array]
    inverse: Callable[[Any, Array, float], Array]
    # The range of sigma is (lower, upper); None stands for an unbounded side.
    lower: float | None
    upper: float | None
    # Whether the inverse diverges at the range's edges, so that its argument
    # must be kept strictly inside the range.
    open_range: bool = True


_SPECS: dict[str, _Spec] = {
    "relu": _Spec(_relu, _relu_inverse, 0.0, None, open_range=False),
    "leaky_relu": _Spec(_leaky_relu, _leaky_relu_inverse, None, None),
    "elu": _Spec(_elu, _elu_inverse, -1.0, None),
    "softplus": _Spec(_softplus, _softplus_inverse, 0.0, None),
    "tanh": _Spec(_tanh, _tanh_inverse, -1.0, 1.0),
    "logistic": _Spec(_logistic, _logistic_inverse, 0.0, 1.0),
    "identity": _Spec(_identity, _identity_inverse, None, None),
}

#: Names of the supported monotone activations.
ACTIVATIONS: tuple[str, ...] = tuple(_SPECS)

#: Activations that are not monotone, so their preimage of an interval is not
#: an interval and the pre-activation step would not be a clip.
NON_MONOTONE_ACTIVATIONS: tuple[str, ...] = ("gelu", "silu", "swish", "mish")


class Activation:
    """A monotone non-decreasing activation ``sigma`` and its interval preimage.

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATIONS`.
    negative_slope : float, default=0.3
        Slope of ``leaky_relu`` for negative inputs; ignored by the others.
        A slope of 0 makes ``leaky_relu`` a ``relu``.
    """

    def __init__(self, name: str, negative_slope: float = 0.3) -> None:
        if name in NON_MONOTONE_ACTIVATIONS:
            raise ValueError(
                f"activation={name!r} is not monotone, so TIAM's pre-activation "
                "step has no interval preimage to project onto. Use one of "
                f"{sorted(ACTIVATIONS)}."
            )
        if name not in _SPECS:
            raise ValueError(
                f"Unknown activation {name!r}. Use one of {sorted(ACTIVATIONS)}."
            )
        if name == "leaky_relu" and negative_slope == 0.0:
            name = "relu"
        self.name = name
        self.negative_slope = float(negative_slope)
        self._spec = _SPECS[name]

    def __call__(self, xp: Any, z: Array) -> Array:
        """Return ``sigma(z)`` elementwise."""
        return self._spec.function(xp, z, self.negative_slope)

    def apply_into(self, xp: Any, z: Array) -> Array:
        """Return ``sigma(z)``, overwriting ``z`` where the activation allows it.

        ``z`` must be an array the caller owns. relu is computed in place;
        the others return ``sigma(z)`` as :meth:`__call__` does.
        """
        if self.name == "relu":
            return clip_into(xp, z, 0.0, None)
        return self(xp, z)

    @property
    def range(self) -> tuple[float | None, float | None]:
        """The infimum and supremum of ``sigma``; None for an unbounded side."""
        return self._spec.lower, self._spec.upper

    def activation_box(
        self, xp: Any, activated: Array, epsilon: float
    ) -> tuple[Array, Array]:
        """Return the box of ``A`` around ``sigma(Z)``.

        ``[sigma(Z) - eps, sigma(Z) + eps]``, intersected with the closed range
        ``[inf sigma, sup sigma]`` for the activations whose range is open
        (elu, softplus, tanh, logistic). There an ``A`` beyond the range, for
        instance ``A > 1`` for ``tanh``, has no preimage, and the preimage of
        the range's edge is infinite: the next ``Z`` step would send ``Z`` to
        a saturated extreme. For relu the nearest preimage of an ``A < 0`` is
        ``Z <= 0``, which is harmless, and the box is left as it is.
        """
        lower, upper = activated - epsilon, activated + epsilon
        if not self._spec.open_range:
            return lower, upper
        if self._spec.lower is not None:
            lower = xp.maximum(lower, self._spec.lower)
        if self._spec.upper is not None:
            upper = xp.minimum(upper, self._spec.upper)
        return lower, upper

    def preimage(self, xp: Any, lo: Array, hi: Array) -> tuple[Array, Array]:
        """Return the box ``[z_lo, z_hi]`` of inputs whose outputs lie in ``[lo, hi]``.

        For a non-decreasing ``sigma`` with range ``(inf sigma, sup sigma)``,
        ``z_lo`` is the smallest ``z`` with ``sigma(z) >= lo`` and ``z_hi`` the
        largest ``z`` with ``sigma(z) <= hi``, taken elementwise:

        - ``z_lo = -inf`` where ``lo <= inf sigma``,
        - ``z_hi = +inf`` where ``hi >= sup sigma``.

        Elsewhere the inverse is evaluated on the interval edge clipped to the
        open range of ``sigma``, which keeps both edges finite and ordered.

        Parameters
        ----------
        xp : namespace
            The array namespace.
        lo, hi : array
            Lower and upper edges of the output interval, with ``lo <= hi``.

        Returns
        -------
        z_lo, z_hi : array
            Edges of the input box, possibly infinite.
        """
        spec = self._spec
        lo_inside, hi_inside = lo, hi
        if spec.open_range:
            finfo = xp.finfo(lo.dtype)
            if spec.lower is not None:
                step = finfo.smallest_normal if spec.lower == 0.0 else finfo.eps
                lo_inside = xp.maximum(lo_inside, spec.lower + step)
                hi_inside = xp.maximum(hi_inside, spec.lower + step)
            if spec.upper is not None:
                ceiling = spec.upper - finfo.eps / 2
                lo_inside = xp.minimum(lo_inside, ceiling)
                hi_inside = xp.minimum(hi_inside, ceiling)
        z_lo = spec.inverse(xp, lo_inside, self.negative_slope)
        z_hi = spec.inverse(xp, hi_inside, self.negative_slope)
        if spec.lower is not None:
            z_lo = xp.where(lo <= spec.lower, -xp.inf, z_lo)
        if spec.upper is not None:
            z_hi = xp.where(hi >= spec.upper, xp.inf, z_hi)
        return z_lo, z_hi

    def band_preimage(
        self, xp: Any, activations: Array, epsilon: float
    ) -> tuple[Array, Array]:
        """Return :meth:`preimage` of the band ``[A - eps, A + eps]``.

        What the hidden pre-activation step projects onto. The two edges are
        new arrays, so for relu, the default, they are turned into the box
        in place, sparing the ``n x d`` temporaries of the general formula:
        ``z_lo = -inf`` where ``A - eps <= 0`` and ``A - eps`` elsewhere,
        ``z_hi = max(A + eps, 0)``. The values are those of :meth:`preimage`.
        """
        lo, hi = activations - epsilon, activations + epsilon
        if self.name != "relu":
            return self.preimage(xp, lo, hi)
        lo[lo <= 0.0] = -xp.inf
        return lo, clip_into(xp, hi, 0.0, None)

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, negative_slope={self.negative_slope})"
