"""The mini-batch step on a GPU: fused CuPy kernels and a CUDA graph of the step.

:class:`CupyKernels` gives the operations of
:class:`sktiam._kernels.ArrayKernels` one CUDA kernel each
(:mod:`sktiam._cuda_source`), and computes every matrix product by a direct
call of cuBLAS's GEMM. CuPy refuses its own cuBLAS calls while a stream is
captured; cuBLAS itself supports capture, so the direct calls let
:class:`GraphStep` capture a whole batch step in a CUDA graph. A step is then
one graph launch, where it was a few hundred kernel launches, each with
Python's and CuPy's overhead of tens of microseconds.

Only imported when the arrays are CuPy's.
"""

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import cupy
import cupyx.scipy.sparse
import numpy
from cupy_backends.cuda.libs import cublas

from ._activations import Activation
from ._cuda_source import source
from ._kernels import (
    OUTPUT_PROX_STEP_CAP,
    ArrayKernels,
    output_prox_iterations,
)
from ._losses import LogisticLoss, SoftmaxCrossEntropy

Array = Any

#: Threads per block of the fused kernels.
_THREADS = 256
#: The compiled kernels, by dtype name: compiled once per process.
_MODULES: dict[str, Any] = {}


def _module(dtype: numpy.dtype) -> Any:
    """Return the compiled kernels for ``dtype`` (float32 or float64)."""
    name = numpy.dtype(dtype).name
    if name not in _MODULES:
        real = {"float32": "float", "float64": "double"}[name]
        _MODULES[name] = cupy.RawModule(code=source(real), options=("--std=c++14",))
    return _MODULES[name]


class CupyKernels(ArrayKernels):
    """The operations as fused CUDA kernels, and GEMMs by cuBLAS directly.

    Every operation runs on the current CuPy stream and reads nothing back:
    each can be captured in a CUDA graph (:class:`GraphStep`). Sparse inputs
    take the generic products (cuSPARSE), which cannot be captured.
    """

    #: Whether the step can be captured in a CUDA graph.
    captures = True

    def __init__(self, xp: Any) -> None:
        super().__init__(xp)
        self._handle = cupy.cuda.device.get_cublas_handle()
        self._dot = cupy.ReductionKernel(
            "T x, T y", "T z", "x * y", "a + b", "z = a", "0", "sktiam_dot"
        )
        #: The stream epochs run on: a graph is captured on a stream of its
        #: own kind (not the legacy default one).
        self.stream = cupy.cuda.Stream(non_blocking=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Run an epoch on :attr:`stream`, ordered after and before the rest.

        The stream waits for what the default stream has queued (the data's
        move to the GPU), and the default stream for the epoch's work.
        """
        null = cupy.cuda.Stream.null
        self.stream.wait_event(null.record())
        try:
            with self.stream:
                yield
        finally:
            null.wait_event(self.stream.record())

    def graph(self, step: Any) -> "GraphStep":
        """Return ``step`` captured in a CUDA graph, on :attr:`stream`."""
        return GraphStep(step, self.stream)

    # -- launches -----------------------------------------------------------------

    def _launch(self, name: str, size: int, like: Array, *args: Any) -> None:
        """Launch kernel ``name`` over ``size`` indices, in ``like``'s dtype.

        Python ints among ``args`` are the kernels' ``long long`` sizes.
        """
        kernel = _module(like.dtype).get_function(name)
        blocks = max(1, math.ceil(size / _THREADS))
        arguments = tuple(numpy.int64(a) if isinstance(a, int) else a for a in args)
        kernel((blocks,), (_THREADS,), arguments)

    @staticmethod
    def _real(value: float, like: Array) -> Any:
        """Return ``value`` as a scalar argument of ``like``'s dtype."""
        return like.dtype.type(value)

    # -- products -----------------------------------------------------------------

    def matmul(
        self,
        a: Array,
        b: Array,
        transpose_a: bool = False,
        transpose_b: bool = False,
    ) -> Array:
        """Return ``op(a) @ op(b)`` by cuBLAS's GEMM, ``op`` a transpose or not.

        The arrays are row-major and cuBLAS column-major: a row-major ``C``
        is a column-major ``C^T = op(b)^T op(a)^T``, so ``b`` is cuBLAS's
        first operand. 1-D ``a`` is a row, 1-D ``b`` a column.
        """
        if cupyx.scipy.sparse.issparse(a) or a.dtype not in (
            numpy.float32,
            numpy.float64,
        ):
            return super().matmul(a, b, transpose_a, transpose_b)
        a = cupy.ascontiguousarray(a)
        b = cupy.ascontiguousarray(b)
        row, column = a.ndim == 1, b.ndim == 1
        a2 = a[None, :] if row else a
        b2 = b[:, None] if column else b
        m = a2.shape[1] if transpose_a else a2.shape[0]
        k = a2.shape[0] if transpose_a else a2.shape[1]
        n = b2.shape[0] if transpose_b else b2.shape[1]
        out = cupy.empty((m, n), dtype=a.dtype)
        gemm = cublas.sgemm if a.dtype == numpy.float32 else cublas.dgemm
        cublas.setStream(self._handle, cupy.cuda.get_current_stream().ptr)
        gemm(
            self._handle,
            cublas.CUBLAS_OP_T if transpose_b else cublas.CUBLAS_OP_N,
            cublas.CUBLAS_OP_T if transpose_a else cublas.CUBLAS_OP_N,
            n,
            m,
            k,
            1.0,
            b2.data.ptr,
            b2.shape[1],
            a2.data.ptr,
            a2.shape[1],
            0.0,
            out.data.ptr,
            n,
        )
        if row and column:
            return out.reshape(())
        if row:
            return out[0]
        if column:
            return out[:, 0]
        return out

    # -- reductions ---------------------------------------------------------------

    def dot(self, u: Array, v: Array) -> Array:
        return self._dot(u, v)

    def squared_norm(self, a: Array) -> Array:
        return self._dot(a, a)

    # -- elementwise --------------------------------------------------------------

    def affine(self, inputs: Array, weights: Array, bias: Array) -> Array:
        out = self.matmul(inputs, weights)
        rows, cols = out.shape
        self._launch("add_bias", out.size, out, out, bias, rows, cols)
        return out

    def residual(self, inputs, weights, bias, target):
        out = self.matmul(inputs, weights)
        rows, cols = out.shape
        self._launch("residual", out.size, out, out, bias, target, rows, cols)
        return out

    def scaled_step(self, start, gradient, scale, tau):
        self._launch(
            "scaled_step",
            gradient.size,
            gradient,
            gradient,
            start,
            tau,
            self._real(scale, gradient),
            gradient.size,
        )
        return gradient

    def extrapolate(self, current, previous, factor):
        out = cupy.empty_like(current)
        self._launch(
            "extrapolate",
            out.size,
            out,
            current,
            previous,
            out,
            self._real(factor, out),
            out.size,
        )
        return out

    def weight_step(self, centre, data_gradient, point, coefficients, tau, current):
        scale, alpha, p3 = coefficients
        self._launch(
            "weight_step",
            data_gradient.size,
            data_gradient,
            data_gradient,
            centre,
            point,
            current,
            tau,
            self._real(scale, data_gradient),
            self._real(alpha, data_gradient),
            self._real(p3, data_gradient),
            data_gradient.size,
        )
        return data_gradient

    def penalty_prox(
        self,
        activation: Activation,
        centre: Array,
        activations: Array,
        rho: float,
        gamma: float,
        iterations: int,
    ) -> tuple[Array, Array]:
        if activation.name != "relu":
            return super().penalty_prox(
                activation, centre, activations, rho, gamma, iterations
            )
        out = cupy.empty_like(centre)
        k = (math.sqrt(rho * (rho + gamma)) + rho) / gamma
        self._launch(
            "relu_prox",
            out.size,
            out,
            centre,
            activations,
            out,
            self._real(rho, out),
            self._real(gamma, out),
            self._real(k, out),
            out.size,
        )
        return out, cupy.zeros((), dtype=out.dtype)

    def output_step(self, loss, centre, targets, rho):
        iterations = numpy.int32(output_prox_iterations(rho))
        cap = self._real(OUTPUT_PROX_STEP_CAP, centre)
        if isinstance(loss, SoftmaxCrossEntropy):
            rows, cols = centre.shape
            z = cupy.empty_like(centre)
            losses = cupy.empty(rows, dtype=centre.dtype)
            residuals = cupy.empty(rows, dtype=centre.dtype)
            self._launch(
                "softmax_step",
                rows,
                z,
                centre,
                targets,
                z,
                losses,
                residuals,
                rows,
                cols,
                self._real(rho, z),
                iterations,
                cap,
            )
            return losses, z, residuals.max()
        if isinstance(loss, LogisticLoss):
            z = cupy.empty_like(centre)
            losses = cupy.empty_like(centre)
            residuals = cupy.empty_like(centre)
            self._launch(
                "logistic_step",
                z.size,
                z,
                centre,
                targets,
                z,
                losses,
                residuals,
                z.size,
                self._real(rho, z),
                iterations,
                cap,
            )
            return losses.sum(axis=1), z, residuals.max()
        return super().output_step(loss, centre, targets, rho)


class GraphStep:
    """A mini-batch step captured in a CUDA graph, for batches of one shape.

    Called as the step it wraps, ``(parameters, steps, rows) -> (parameters,
    steps, auxiliaries, report)``. The first call of a shape runs the step
    as it is: it compiles the kernels and fills the memory pool, which a
    capture must not do. The second captures the step, then every call
    copies its inputs into the graph's fixed buffers (unless they are those
    buffers already: the outputs of the last call) and launches the graph.
    The outputs are the graph's buffers, which the next launch overwrites.
    Batches of another shape (the last, shorter one of an epoch) run the
    step as it is.

    The graph's temporary arrays come from a memory pool of its own, which
    nothing else allocates from, so no array outside the graph can share
    their memory. Where the capture fails (a CuPy or CUDA version that
    refuses an operation in it), the step runs uncaptured, with a
    ``RuntimeWarning`` that says so.

    Parameters
    ----------
    step : MiniBatchStep
        The step to capture; its penalties and inertias are fixed into the
        graph.
    stream : cupy.cuda.Stream
        A non-blocking stream, on which the calls are made.
    """

    def __init__(self, step: Any, stream: Any) -> None:
        self.step = step
        self.stream = stream
        self._pool = cupy.cuda.MemoryPool()
        self._graph = None
        self._shape: tuple | None = None
        self._warm = False
        self._failed = False

    def __call__(self, parameters: Any, steps: Any, rows: Any) -> tuple:
        shape = (rows.inputs.shape, rows.weights is None)
        if shape != self._shape:
            if self._shape is not None:
                # Another shape than the captured one: run the step as it is.
                return self.step(parameters, steps, rows)
            self._shape = shape
        if not self._warm:
            # The pool of the graph gets the blocks of a step, so that the
            # capture finds them free.
            self._warm = True
            with cupy.cuda.using_allocator(self._pool.malloc):
                return self.step(parameters, steps, rows)
        if self._failed:
            return self.step(parameters, steps, rows)
        if self._graph is None:
            try:
                self._capture(parameters, steps, rows)
            except Exception as error:  # CUDA, cuBLAS or CuPy refused the capture.
                self._failed = True
                warnings.warn(
                    f"sktiam could not capture the mini-batch step in a CUDA "
                    f"graph ({type(error).__name__}: {error}); it runs "
                    "uncaptured, with a launch per operation: slower on small "
                    "batches, with the same results.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                return self.step(parameters, steps, rows)
        else:
            self._load(parameters, steps, rows)
        self._graph.launch(self.stream)
        return self._outputs

    def _capture(self, parameters: Any, steps: Any, rows: Any) -> None:
        """Allocate the graph's buffers, fill them, and capture the step on them."""
        copy = _copies
        self._inputs = (copy(parameters), copy(steps), copy(rows))
        inputs = self._inputs
        with self.stream, cupy.cuda.using_allocator(self._pool.malloc):
            # Relaxed: the pool may still need to allocate while capturing.
            # (cudaStreamCaptureModeRelaxed is 2 in CUDA's enumeration.)
            self.stream.begin_capture(
                getattr(cupy.cuda.runtime, "streamCaptureModeRelaxed", 2)
            )
            try:
                outputs = self.step(*inputs)
                self._write_back(outputs)
            finally:
                self._graph = self.stream.end_capture()

    def _write_back(self, outputs: tuple) -> None:
        """Copy a step's new parameters and step sizes over its inputs, in the graph.

        The step reads its inputs before it writes any output, so after the
        copies the buffers hold the state of the next batch; the
        auxiliaries and the report are the outputs' own arrays.
        """
        parameters, steps, auxiliaries, report = outputs
        old_parameters, old_steps, _ = self._inputs
        # u^{k-1} <- u^k first, then u^k <- u^{k+1}.
        for target, value in zip(
            old_parameters.previous_coefs + old_parameters.previous_intercepts,
            old_parameters.coefs + old_parameters.intercepts,
            strict=True,
        ):
            cupy.copyto(target, value)
        for target, value in zip(
            old_parameters.coefs + old_parameters.intercepts + tuple(old_steps),
            parameters.coefs + parameters.intercepts + tuple(steps),
            strict=True,
        ):
            _copy_nested(target, value)
        self._outputs = (old_parameters, old_steps, auxiliaries, report)

    def _load(self, parameters: Any, steps: Any, rows: Any) -> None:
        """Copy the call's inputs into the graph's buffers, where they differ."""
        for target, value in zip(self._inputs, (parameters, steps, rows), strict=True):
            _copy_nested(target, value)


def _copies(value: Any) -> Any:
    """Return a structure of the same shape with every array copied."""
    if isinstance(value, cupy.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return (
            type(value)(*(_copies(v) for v in value))
            if hasattr(value, "_fields")
            else tuple(_copies(v) for v in value)
        )
    return value


def _copy_nested(target: Any, value: Any) -> None:
    """Copy ``value``'s arrays into ``target``'s, skipping those that are the same."""
    if isinstance(target, cupy.ndarray):
        if value is not target:
            cupy.copyto(target, value)
        return
    if isinstance(target, tuple):
        for t, v in zip(target, value, strict=True):
            _copy_nested(t, v)
