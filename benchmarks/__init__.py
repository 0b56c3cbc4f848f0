"""The benchmark runner of sktiam: ``python -m benchmarks``.

TIAM against scikit-learn's MLPs (adam, lbfgs, sgd) and against two
ablations of its own inertia, on five real datasets and a synthetic scaling
series, with the machine's GEMM rate as the physical limit. Modules:

- :mod:`benchmarks.datasets`: the datasets and their fixed splits;
- :mod:`benchmarks.methods`: the six methods;
- :mod:`benchmarks.measure`: one fit, its timings, loss curve and memory;
- :mod:`benchmarks.machine`: the machine, its GEMM rate, the flop count;
- :mod:`benchmarks.profiling`: cProfile of one TIAM fit;
- :mod:`benchmarks.runner`: the whole run;
- :mod:`benchmarks.analysis`: loss targets, means over seeds, target figures;
- :mod:`benchmarks.report`, :mod:`benchmarks.plots`: BENCHMARKS.md and figures.

``benchmarks/sweep_defaults.py`` is the separate sweep that chose the
defaults.
"""
