"""The array namespace the numerical code takes its functions from.

The solver, the blocks, the activations and the losses never import an array
library: they receive a namespace ``xp`` and call ``xp.exp``, ``xp.clip`` and
so on, using only functions that NumPy and the Python array API standard share.
This module is the one place that chooses the namespace; moving data to and
from a device also belongs here.
"""

from types import ModuleType

import numpy


def get_namespace(device: str = "cpu") -> ModuleType:
    """Return the array namespace for ``device``.

    Parameters
    ----------
    device : {"cpu"}, default="cpu"
        Where the subproblem solves run. Only the CPU, through NumPy, is
        available in this release.

    Returns
    -------
    xp : module
        The array namespace.
    """
    if device != "cpu":
        raise ValueError(f"device={device!r} is not available; use device='cpu'.")
    return numpy


def to_numpy(array) -> numpy.ndarray:
    """Return ``array`` as a NumPy array, for fitted attributes and outputs."""
    return numpy.asarray(array)
