"""The memory the training state needs, checked before it is allocated.

TIAM keeps per-sample state: the pre-activations ``Z_l`` and activations
``A_l`` of every layer for every sample, plus their previous values for the
inertia (docs/algorithm.md, "Cost and memory"). That grows with ``n_samples`` and can
exceed a GPU's memory, or the host's, long before the weights do. The
estimate below is checked before any of it is allocated.
"""

from ._backend import Backend, available_bytes

#: Working arrays of one block step, in units of ``n_samples * max_l d_l``:
#: the momentum, centre, gradient point, gradient, candidate and difference,
#: the box edges, the cached products and the forward pass. With
#: ``ROW_OVERHEAD`` numbers per sample for the labels, weights and masks, it
#: is calibrated against the peak that ``tracemalloc`` measures during NumPy
#: fits of several shapes, which it bounds from above (tests/test_memory.py).
WORKSPACE_FACTOR = 18
ROW_OVERHEAD = 16


class InsufficientMemoryError(MemoryError, ValueError):
    """The training state of a fit would not fit in the available memory.

    Raised before any large allocation. A subclass of both ``MemoryError``
    and ``ValueError``.
    """


def training_state_bytes(
    n_samples: int, layer_units: list[int], itemsize: int, inputs_copied: bool
) -> int:
    """Return an estimate from above of the bytes one fit allocates.

    Parameters
    ----------
    n_samples : int
        Training samples.
    layer_units : list of int
        ``[n_features, hidden sizes..., n_outputs]``.
    itemsize : int
        Bytes per number: 4 for float32, 8 for float64.
    inputs_copied : bool
        Whether ``X`` is copied to the device (a GPU fit of host data).

    Returns
    -------
    n_bytes : int
        ``itemsize * n * (2 sum_l d_l + 2 sum_hidden d_l + d_L + 1
        + 18 max_l d_l + 16 [+ d_0])``: current and previous ``Z_l`` and
        ``A_l``, the targets and weights, the workspace of one block step,
        and ``X`` when it is copied.
    """
    outputs = layer_units[1:]
    hidden = layer_units[1:-1]
    numbers = (
        2 * sum(outputs)
        + 2 * sum(hidden)
        + layer_units[-1]
        + 1
        + WORKSPACE_FACTOR * max(outputs)
        + ROW_OVERHEAD
    )
    if inputs_copied:
        numbers += layer_units[0]
    return int(itemsize) * int(n_samples) * int(numbers)


def _format_bytes(n_bytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n_bytes < 1024 or unit == "GiB":
            return f"{n_bytes:.1f} {unit}" if unit != "bytes" else f"{n_bytes} {unit}"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def check_memory(
    backend: Backend,
    n_samples: int,
    layer_units: list[int],
    itemsize: int,
    inputs_copied: bool,
) -> int:
    """Raise :class:`InsufficientMemoryError` if a fit would not fit in memory.

    Parameters
    ----------
    backend : Backend
        Where the fit runs; its free memory is read from CuPy on a GPU and
        from the operating system on the CPU.
    n_samples, layer_units, itemsize, inputs_copied
        As for :func:`training_state_bytes`.

    Returns
    -------
    n_bytes : int
        The estimate, when it fits or when the free memory is unknown.
    """
    needed = training_state_bytes(n_samples, layer_units, itemsize, inputs_copied)
    free = available_bytes(backend)
    if free is not None and needed > free:
        where = "GPU" if backend.is_cupy else "memory"
        advice = (
            "Use float32 input (half the memory), fewer samples, or smaller "
            "hidden layers."
            if itemsize > 4
            else "Use fewer samples or smaller hidden layers."
        )
        raise InsufficientMemoryError(
            f"TIAM's training state for {n_samples} samples and layers "
            f"{layer_units} needs about {_format_bytes(needed)}, but only "
            f"{_format_bytes(free)} of {where} is free. {advice}"
        )
    return needed
