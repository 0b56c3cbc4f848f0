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
#: The same for a mini-batch fit, per row of the batch (its workspace) and per
#: row of the data (two numbers per output for the encoded targets and their
#: integer labels, and ``MINI_BATCH_ROW_OVERHEAD`` for the weight, the shuffle
#: order and masks), plus ``PARAMETER_COPIES`` copies of the weights and
#: biases (the state, its previous values, the kept best and last ones and
#: the gradients); calibrated in the same way.
MINI_BATCH_WORKSPACE_FACTOR = 4
MINI_BATCH_ROW_OVERHEAD = 5
PARAMETER_COPIES = 12
#: The proximal W step's working arrays (``weight_step="proximal"``), per
#: layer of ``d`` inputs at batches of ``m`` rows: ``PROXIMAL_SQUARES``
#: arrays of ``min(m, d)`` squared numbers (the system, its factor, their
#: copies and the products around them); calibrated in the same way, with
#: the proximal step's fits added.
PROXIMAL_SQUARES = 6
#: The working arrays of the ``A_l`` step that solves its subproblem
#: (``activation_step="exact"`` or ``"cg"``): ``W W^T``, the identity, their
#: sum and the factor, ``d x d`` each, one layer at a time, not all alive at
#: the peak. Counted as ``ACTIVATION_SQUARES`` squares of the widest hidden
#: layer, calibrated in the same way: one hidden layer of 400 units added
#: 1.56 squares of it to the peak (``"cg"``: 1.39), two of 300 units none.
ACTIVATION_SQUARES = 2


class InsufficientMemoryError(MemoryError, ValueError):
    """The training state of a fit would not fit in the available memory.

    Raised before any large allocation. A subclass of both ``MemoryError``
    and ``ValueError``.
    """


def training_state_bytes(
    n_samples: int,
    layer_units: list[int],
    itemsize: int,
    inputs_copied: bool,
    batch_size: int | None = None,
    rounds: int = 1,
    weight_step: str = "prox-linear",
    activation_step: str = "prox-linear",
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
    batch_size : int or None, default=None
        Rows per batch of a mini-batch fit; None for a full-batch fit.
    rounds : int, default=1
        Rounds of the mini-batch step per batch (the estimators'
        ``batch_rounds``); ignored in full batch.
    weight_step : {"prox-linear", "proximal"}, default="prox-linear"
        The mini-batch ``W_l`` step (the estimators' ``weight_step_``);
        ignored in full batch.
    activation_step : {"prox-linear", "exact", "cg"}, default="prox-linear"
        The mini-batch ``A_l`` step; ignored in full batch.

    Returns
    -------
    n_bytes : int
        For a full-batch fit,
        ``itemsize * n * (2 sum_l d_l + 2 sum_hidden d_l + d_L + 1
        + 18 max_l d_l + 16 [+ d_0])``: current and previous ``Z_l`` and
        ``A_l`` of every row, the targets and weights, the workspace of one
        block step, and ``X`` when it is copied. For a mini-batch fit of
        batches of ``m`` rows, ``itemsize * (m (2 sum_l d_l + 2 sum_hidden d_l
        + 4 max_l d_l + d_0 + d_L + 1) + n (2 d_L + 5 [+ d_0]) + 12 P)``: the
        same state for the rows of one batch only, with their copy of ``X``
        and ``Y``; the encoded targets, weights and shuffle order of every
        row; and the copies of the ``P`` weights and biases. More than one
        round adds ``m (sum_l d_l + sum_hidden d_l)`` to the batch's state:
        the centres and the activations' anchors of the next round, made
        while the last round's auxiliaries are alive. The proximal W step
        adds ``6 sum_l min(m, d_{l-1})^2``, its systems and the arrays
        around them, and the ``"exact"`` and ``"cg"`` A steps
        ``2 max_hidden d_l^2``. Only the ``n``-proportional term
        grows with the data, by a few numbers a row.
    """
    outputs = layer_units[1:]
    hidden = layer_units[1:-1]
    n_outputs = layer_units[-1]
    copied = layer_units[0] if inputs_copied else 0
    if batch_size is None:
        numbers = (
            2 * sum(outputs)
            + 2 * sum(hidden)
            + n_outputs
            + 1
            + WORKSPACE_FACTOR * max(outputs)
            + ROW_OVERHEAD
            + copied
        )
        return int(itemsize) * int(n_samples) * int(numbers)
    rows = min(int(batch_size), int(n_samples))
    state = (
        2 * sum(outputs)
        + 2 * sum(hidden)
        + MINI_BATCH_WORKSPACE_FACTOR * max(outputs)
        + layer_units[0]
        + n_outputs
        + 1
    )
    if rounds > 1:
        state += sum(outputs) + sum(hidden)
    per_row = 2 * n_outputs + MINI_BATCH_ROW_OVERHEAD + copied
    parameters = sum(
        (fan_in + 1) * fan_out
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True)
    )
    numbers = rows * state + int(n_samples) * per_row + PARAMETER_COPIES * parameters
    if weight_step == "proximal":
        numbers += PROXIMAL_SQUARES * sum(
            min(rows, fan_in) ** 2 for fan_in in layer_units[:-1]
        )
    if activation_step != "prox-linear":
        numbers += ACTIVATION_SQUARES * max(hidden, default=0) ** 2
    return int(itemsize) * int(numbers)


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
    batch_size: int | None = None,
    rounds: int = 1,
    weight_step: str = "prox-linear",
    activation_step: str = "prox-linear",
) -> int:
    """Raise :class:`InsufficientMemoryError` if a fit would not fit in memory.

    Parameters
    ----------
    backend : Backend
        Where the fit runs; its free memory is read from CuPy on a GPU and
        from the operating system on the CPU.
    n_samples, layer_units, itemsize, inputs_copied, batch_size, rounds
        As for :func:`training_state_bytes`.
    weight_step, activation_step
        As for :func:`training_state_bytes`.

    Returns
    -------
    n_bytes : int
        The estimate, when it fits or when the free memory is unknown.
    """
    needed = training_state_bytes(
        n_samples,
        layer_units,
        itemsize,
        inputs_copied,
        batch_size,
        rounds,
        weight_step,
        activation_step,
    )
    free = available_bytes(backend)
    if free is not None and needed > free:
        where = "GPU" if backend.is_cupy else "memory"
        advice = (
            "Use float32 input (half the memory), fewer samples, or smaller "
            "hidden layers."
            if itemsize > 4
            else "Use fewer samples or smaller hidden layers."
        )
        if batch_size is None:
            advice += " Mini-batch training (the default batch_size=64) needs less."
        raise InsufficientMemoryError(
            f"TIAM's training state for {n_samples} samples and layers "
            f"{layer_units} needs about {_format_bytes(needed)}, but only "
            f"{_format_bytes(free)} of {where} is free. {advice}"
        )
    return needed
