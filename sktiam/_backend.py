"""The array namespace the numerical code takes its functions from.

The solver, the blocks, the activations and the losses never import an array
library: they receive a namespace ``xp`` and call ``xp.exp``, ``xp.clip`` and
so on, using only what the Python array API standard defines. This module is
the one place that chooses the namespace, moves data to and from a device, and
tells how much memory a device has.

Two ways lead to a namespace:

- the ``device`` parameter of the estimators, for NumPy, pandas and SciPy
  sparse inputs: ``"cpu"`` is NumPy, ``"cuda"`` is CuPy, ``"auto"`` is CuPy
  when it imports and sees a GPU, else NumPy;
- scikit-learn's array API dispatch (``sklearn.set_config(array_api_dispatch=
  True)``): inputs from another namespace are computed on where they live.
"""

import os
from dataclasses import dataclass
from typing import Any

import array_api_compat
import array_api_compat.numpy
import numpy
import scipy.sparse
from sklearn import get_config

#: Values of the estimators' ``device`` parameter.
DEVICES = ("cpu", "cuda", "auto")

GPU_INSTALL_HINT = 'pip install "sktiam[gpu]"'


@dataclass(frozen=True)
class Backend:
    """An array namespace and the device its arrays live on.

    Parameters
    ----------
    xp : namespace
        An array API compatible namespace (wrapped by ``array_api_compat``
        where the library needs it).
    device : object or None
        The device new arrays are created on; None for NumPy.
    name : str
        ``"numpy"``, ``"cupy"`` or the name of another array API namespace.
    """

    xp: Any
    device: Any
    name: str

    @property
    def is_numpy(self) -> bool:
        """Whether arrays are NumPy arrays."""
        return self.name == "numpy"

    @property
    def is_cupy(self) -> bool:
        """Whether arrays are CuPy arrays on a GPU."""
        return self.name == "cupy"

    def asarray(self, array: Any, dtype: Any = None) -> Any:
        """Return a NumPy or same-namespace ``array`` as an array of this backend.

        SciPy sparse matrices stay sparse: on the CPU they are returned as
        they are, on a GPU they become CuPy sparse matrices.
        """
        if scipy.sparse.issparse(array):
            if self.is_numpy:
                return array
            if self.is_cupy:
                import cupyx.scipy.sparse

                matrix = scipy.sparse.csr_matrix(array)
                return cupyx.scipy.sparse.csr_matrix(matrix)
            raise TypeError(
                f"Sparse input cannot be moved to the {self.name} namespace; "
                "use a dense array, or NumPy."
            )
        if self.is_numpy:
            return numpy.asarray(array, dtype=dtype)
        return self.xp.asarray(array, dtype=dtype, device=self.device)


NUMPY = Backend(array_api_compat.numpy, None, "numpy")


def _cupy_backend() -> Backend:
    """Return the CuPy backend, or raise a clear error if it cannot be used."""
    try:
        import cupy
    except ImportError as error:
        raise ImportError(
            "device='cuda' needs CuPy, which is not installed. Install it (CUDA "
            f'12) with {GPU_INSTALL_HINT}, or pip install -e ".[gpu]" in a clone '
            "of sktiam, or use device='cpu'."
        ) from error
    try:
        n_gpus = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises its own CUDARuntimeError here.
        raise RuntimeError(
            "device='cuda': CuPy is installed but sees no usable GPU "
            f"({error}). Check the NVIDIA driver and CUDA_VISIBLE_DEVICES, or "
            "use device='cpu'."
        ) from error
    if n_gpus < 1:
        raise RuntimeError(
            "device='cuda': CuPy is installed but no GPU is visible. Check the "
            "NVIDIA driver and CUDA_VISIBLE_DEVICES, or use device='cpu'."
        )
    import array_api_compat.cupy

    return Backend(array_api_compat.cupy, cupy.cuda.Device(), "cupy")


def gpu_available() -> bool:
    """Return whether CuPy imports and sees at least one GPU."""
    try:
        _cupy_backend()
    except (ImportError, RuntimeError):
        return False
    return True


def backend_for_device(device: str) -> Backend:
    """Return the backend for the estimators' ``device`` parameter.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}
        ``"cpu"`` computes with NumPy, ``"cuda"`` with CuPy on the current
        GPU, ``"auto"`` with CuPy when it imports and sees a GPU, else NumPy.

    Returns
    -------
    backend : Backend

    Raises
    ------
    ImportError
        ``device="cuda"`` without CuPy; the message says how to install it.
    RuntimeError
        ``device="cuda"`` with CuPy but no visible GPU.
    """
    if device == "cpu":
        return NUMPY
    if device == "cuda":
        return _cupy_backend()
    if device == "auto":
        return _cupy_backend() if gpu_available() else NUMPY
    raise ValueError(f"device must be one of {DEVICES}, got {device!r}.")


def array_backend(array: Any) -> Backend | None:
    """Return the backend of an array of another namespace than NumPy.

    Returns None for NumPy arrays, SciPy sparse matrices and anything else
    NumPy converts (lists, pandas objects).
    """
    if scipy.sparse.issparse(array) or not array_api_compat.is_array_api_obj(array):
        return None
    if array_api_compat.is_numpy_array(array):
        return None
    xp = array_api_compat.array_namespace(array)
    name = "cupy" if array_api_compat.is_cupy_array(array) else xp.__name__
    return Backend(xp, array_api_compat.device(array), name)


def input_backend(array: Any) -> Backend | None:
    """Return the backend an input is computed on under scikit-learn's dispatch.

    With ``array_api_dispatch`` on, an array of another namespace than NumPy
    is computed on in its own namespace and device. Returns None when
    dispatch is off, or for NumPy-like input: those follow the ``device``
    parameter.
    """
    if not get_config()["array_api_dispatch"]:
        return None
    return array_backend(array)


def same_place(first: Backend | None, second: Backend | None) -> bool:
    """Return whether two input backends are the same namespace and device."""
    if first is None or second is None:
        return first is None and second is None
    return first.name == second.name and first.device == second.device


def to_numpy(array: Any) -> numpy.ndarray:
    """Return ``array`` as a NumPy array on the host, whatever its namespace."""
    if isinstance(array, numpy.ndarray):
        return array
    if array_api_compat.is_cupy_array(array):
        return array.get()
    if array_api_compat.is_torch_array(array):
        return array.detach().cpu().numpy()
    if array_api_compat.is_array_api_obj(array) and not (
        array_api_compat.is_numpy_array(array)
    ):
        # Any other namespace in host memory: exchange through DLPack.
        return numpy.from_dlpack(array)
    return numpy.asarray(array)


def host_floats(array: Any) -> list[float]:
    """Return the entries of a small array as Python floats, in one transfer.

    The solver reads several scalars at once this way (a Rayleigh quotient's
    terms, the two ends of a range): one host synchronisation on a GPU where
    ``float`` of each would be one each.
    """
    return [float(value) for value in to_numpy(array).ravel().tolist()]


#: The environment variable that turns on the fused CUDA kernels and the CUDA
#: graph of the mini-batch step on CuPy. They have been checked on the CPU
#: only (their CUDA source compiled as C++, tests/test_cuda_source.py), not
#: yet on a GPU, so they are off unless it is "1":
#: ``benchmarks/gpu_check.py`` checks them against the generic kernels.
CUDA_KERNELS_VARIABLE = "SKTIAM_CUDA_KERNELS"


def kernels_for(xp: Any) -> Any:
    """Return the mini-batch step's kernels for namespace ``xp``.

    :class:`~sktiam._kernels.NumpyKernels` for NumPy; for CuPy, the generic
    :class:`~sktiam._kernels.ArrayKernels`, or, where the environment
    variable ``SKTIAM_CUDA_KERNELS`` is ``"1"``,
    :class:`~sktiam._cupy_kernels.CupyKernels` (experimental, see
    :data:`CUDA_KERNELS_VARIABLE`); the generic kernels for any other
    namespace.
    """
    from ._kernels import ArrayKernels, NumpyKernels

    if xp is NUMPY.xp or xp is numpy:
        return NumpyKernels(xp)
    if (
        array_api_compat.is_cupy_namespace(xp)
        and os.environ.get(CUDA_KERNELS_VARIABLE) == "1"
    ):
        from ._cupy_kernels import CupyKernels

        return CupyKernels(xp)
    return ArrayKernels(xp)


def clip_into(xp: Any, array: Any, lower: Any, upper: Any) -> Any:
    """Return ``array`` clipped to ``[lower, upper]``, in its own memory if possible.

    NumPy and CuPy clip in place (``out=``), which spares the solver a new
    ``n x d`` array per projection; the array API standard has no ``out=``,
    so other namespaces return a new array. Either way the values are those
    of ``xp.clip``. ``array`` must be an array the caller owns.
    """
    if isinstance(array, numpy.ndarray):
        return numpy.clip(array, lower, upper, out=array)
    if array_api_compat.is_cupy_array(array):
        import cupy

        return cupy.clip(array, lower, upper, out=array)
    return xp.clip(array, lower, upper)


def available_bytes(backend: Backend) -> int | None:
    """Return the memory free for new arrays of ``backend``, or None if unknown.

    On a GPU: the device's free memory plus what CuPy's pool holds unused.
    On the CPU: ``MemAvailable`` of ``/proc/meminfo`` on Linux, else the
    available physical pages where the system reports them. Other namespaces
    (such as ``array_api_strict``) live in host memory and are measured so.
    """
    if backend.is_cupy:
        import cupy

        free, _ = cupy.cuda.runtime.memGetInfo()
        return int(free) + int(cupy.get_default_memory_pool().free_bytes())
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
