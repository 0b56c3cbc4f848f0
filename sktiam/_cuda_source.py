"""The CUDA source of the mini-batch step's fused kernels.

Each kernel does on the GPU, in one launch, what a sequence of array
operations of :class:`sktiam._kernels.ArrayKernels` does: the same
arithmetic, in the same order where the order matters for rounding. The
source is written for a type ``real`` (``float`` or ``double``) and a loop
macro, so that the same text compiles two ways:

- for CUDA (:data:`CUDA_PRELUDE`), by NVRTC through CuPy's ``RawModule``:
  ``LOOP(i, n)`` is one thread per index;
- for the CPU (:data:`CPU_PRELUDE`), by a C++ compiler: ``LOOP(i, n)`` is a
  ``for`` loop. The tests compile it so, where a compiler is available, and
  compare it with the generic kernels: the kernels' arithmetic is checked
  without a GPU.

Comparisons are written so that NaN propagates as it does through NumPy's
``maximum`` and ``clip`` (``fmax`` would drop it): a kernel must not hide an
overflow from the epoch's check.
"""

#: Definitions for NVRTC: one thread per index of ``LOOP``.
CUDA_PRELUDE = r"""
#define KERNEL extern "C" __global__ void
#define LOOP(i, n) \
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; \
    if (i < (n))
"""

#: Definitions for a C++ compiler: ``LOOP`` runs every index in turn.
CPU_PRELUDE = r"""
#include <cmath>
using namespace std;
#define KERNEL extern "C" void
#define LOOP(i, n) for (long long i = 0; i < (n); ++i)
"""

#: The kernels. Arrays are C-contiguous; ``tau`` arguments are 0-d arrays.
KERNELS = r"""
// Largest of a and b; NaN if either is.
#define NAN_MAX(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))
// x clipped to [-cap, cap]; NaN stays NaN.
#define CLIP(x, cap) ((x) > (cap) ? (cap) : ((x) < -(cap) ? -(cap) : (x)))

// out += bias, row by row: the affine map's bias.
KERNEL add_bias(real* out, const real* bias, long long rows, long long cols) {
    LOOP(i, rows * cols) { out[i] += bias[i % cols]; }
}

// out = out + bias - target: the coupling residual A W + b - Z.
KERNEL residual(
    real* out, const real* bias, const real* target, long long rows, long long cols
) {
    LOOP(i, rows * cols) { out[i] = out[i] + bias[i % cols] - target[i]; }
}

// gradient = start - gradient * (scale / tau): the A step.
KERNEL scaled_step(
    real* gradient, const real* start, const real* tau, real scale, long long n
) {
    LOOP(i, n) { gradient[i] = start[i] - gradient[i] * (scale / tau[0]); }
}

// out = current + factor (current - previous): an inertial point.
KERNEL extrapolate(
    const real* current, const real* previous, real* out, real factor, long long n
) {
    LOOP(i, n) { out[i] = current[i] + factor * (current[i] - previous[i]); }
}

// The W step: plus = centre - (scale g + alpha point) / tau, then the third
// inertia plus + p3 (plus - current), written into g.
KERNEL weight_step(
    real* g, const real* centre, const real* point, const real* current,
    const real* tau, real scale, real alpha, real p3, long long n
) {
    LOOP(i, n) {
        real plus = centre[i] - (scale * g[i] + alpha * point[i]) / tau[0];
        g[i] = plus + p3 * (plus - current[i]);
    }
}

// The relu penalty prox: z = w where w < 0 and a + k w < 0, elsewhere
// max((rho w + gamma a) / (rho + gamma), 0).
KERNEL relu_prox(
    const real* w, const real* a, real* z, real rho, real gamma, real k,
    long long n
) {
    LOOP(i, n) {
        real positive = (rho * w[i] + gamma * a[i]) / (rho + gamma);
        positive = positive < 0 ? (real)0 : positive;
        z[i] = (k * w[i] + a[i] < 0 && w[i] < 0) ? w[i] : positive;
    }
}

// The softmax output prox of one row per thread: `iterations` Newton steps
// from z = v, by Sherman-Morrison, each entry's move clipped to cap; the
// row's loss at v and the largest gradient entry left. The exponentials are
// shifted by the row maximum of v throughout.
KERNEL softmax_step(
    const real* v, const real* y, real* z, real* loss, real* residual,
    long long rows, long long cols, real rho, int iterations, real cap
) {
    LOOP(r, rows) {
        const real* vr = v + r * cols;
        const real* yr = y + r * cols;
        real* zr = z + r * cols;
        real shift = vr[0];
        real target = 0;
        for (long long j = 0; j < cols; ++j) {
            shift = NAN_MAX(vr[j], shift);
            zr[j] = vr[j];
            target += yr[j] * vr[j];
        }
        for (int step = 0; step <= iterations; ++step) {
            real sum = 0;
            for (long long j = 0; j < cols; ++j) { sum += exp(zr[j] - shift); }
            if (step == 0) { loss[r] = log(sum) + shift - target; }
            real numerator = 0, denominator = 0, largest = 0;
            for (long long j = 0; j < cols; ++j) {
                real p = exp(zr[j] - shift) / sum;
                real g = rho * (zr[j] - vr[j]) + p - yr[j];
                real h = p + rho;
                numerator += p * (g / h);
                denominator += p / h;
                real size = fabs(g);
                largest = NAN_MAX(size, largest);
            }
            if (step == iterations) {
                residual[r] = largest;
                break;
            }
            real coupling = numerator / (rho * denominator);
            for (long long j = 0; j < cols; ++j) {
                real p = exp(zr[j] - shift) / sum;
                real g = rho * (zr[j] - vr[j]) + p - yr[j];
                real h = p + rho;
                real d = g / h + (p / h) * coupling;
                zr[j] -= CLIP(d, cap);
            }
        }
    }
}

// The logistic output prox of one entry per thread, as softmax_step.
KERNEL logistic_step(
    const real* v, const real* y, real* z, real* loss, real* residual,
    long long n, real rho, int iterations, real cap
) {
    LOOP(i, n) {
        real vi = v[i], yi = y[i], zi = v[i];
        // log(1 + e^v) - y v = log(1 + e^-|v|) + max(v, 0) - y v
        loss[i] = log1p(exp(-fabs(vi))) + (vi > 0 ? vi : (real)0) - yi * vi;
        for (int step = 0; step <= iterations; ++step) {
            real e = exp(-fabs(zi));
            real p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
            real g = rho * (zi - vi) + p - yi;
            if (step == iterations) {
                residual[i] = fabs(g);
                break;
            }
            real d = g / (p * (1 - p) + rho);
            zi -= CLIP(d, cap);
        }
        z[i] = zi;
    }
}
"""

#: The kernels' names, in the order of :data:`KERNELS`.
KERNEL_NAMES = (
    "add_bias",
    "residual",
    "scaled_step",
    "extrapolate",
    "weight_step",
    "relu_prox",
    "softmax_step",
    "logistic_step",
)


def source(real: str, cuda: bool = True) -> str:
    """Return the kernels' source for ``real`` (``"float"`` or ``"double"``)."""
    prelude = CUDA_PRELUDE if cuda else CPU_PRELUDE
    return f"#define real {real}\n{prelude}\n{KERNELS}"
