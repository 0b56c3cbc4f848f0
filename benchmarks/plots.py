"""The figures: loss curves per dataset, and time per iteration against n."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .methods import METHODS  # noqa: E402

COLOURS = {
    "mlp-adam": "tab:blue",
    "mlp-lbfgs": "tab:cyan",
    "mlp-sgd": "tab:purple",
    "tiam-minibatch": "tab:red",
    "tiam-full-batch": "tab:brown",
    "tiam-box": "tab:gray",
    "tiam-no-inertia": "tab:orange",
    "tiam-nesterov": "tab:green",
}
#: Type sizes that stay legible when a figure is shown about 800 pixels wide.
matplotlib.rcParams.update(
    {
        "font.size": 12,
        "axes.titlesize": 13,
        "axes.labelsize": 12,
        "legend.fontsize": 10,
        "figure.titlesize": 14,
    }
)


def plot_losses(dataset: str, runs: list[dict], target: float, path: Path) -> Path:
    """Draw the training loss of every method against iterations and seconds.

    One line per method and seed, in the method's colour; the dashed line is
    the loss target (mean over seeds).

    Parameters
    ----------
    dataset : str
        Name for the title.
    runs : list of dict
        The runs on ``dataset``.
    target : float
        The loss target to draw.
    path : Path
        Where to write the PNG.

    Returns
    -------
    Path
        ``path``.
    """
    figure, axes = plt.subplots(1, 2, figsize=(11, 5))
    labelled = set()
    for run in runs:
        method = run["method"]
        label = None if method in labelled else METHODS[method].label
        labelled.add(method)
        style = {"color": COLOURS.get(method), "alpha": 0.8, "linewidth": 1.2}
        marker = "o" if len(run["curve_losses"]) < 20 else None
        axes[0].plot(
            run["curve_iterations"],
            run["curve_losses"],
            label=label,
            marker=marker,
            markersize=3,
            **style,
        )
        axes[1].plot(
            run["curve_seconds"],
            run["curve_losses"],
            marker=marker,
            markersize=3,
            **style,
        )
    for axis in axes:
        axis.axhline(
            target,
            color="black",
            linestyle="--",
            linewidth=1,
            label="loss target (mean over seeds)" if axis is axes[0] else None,
        )
        axis.set_yscale("log")
        axis.set_ylabel("training loss (with the L2 term)")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_xlabel("iteration (epoch for adam and sgd)")
    axes[1].set_xlabel("seconds")
    axes[1].set_xscale("log")
    axes[0].legend()
    figure.suptitle(f"{dataset}: training loss, one line per seed")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_scaling(scaling: dict, path: Path) -> Path:
    """Draw the seconds per iteration against n on log-log axes, with fitted slopes.

    Parameters
    ----------
    scaling : dict
        Per method: ``n``, ``seconds`` (mean over seeds), ``std`` and ``slope``,
        as from :func:`benchmarks.analysis.summarise`.
    path : Path
        Where to write the PNG.

    Returns
    -------
    Path
        ``path``.
    """
    figure, axis = plt.subplots(figsize=(8, 5.5))
    for method, entry in scaling.items():
        axis.errorbar(
            entry["n"],
            entry["seconds"],
            yerr=entry["std"],
            marker="o",
            capsize=3,
            color=COLOURS.get(method),
            label=f"{METHODS[method].label}: slope {entry['slope']:.2f}",
        )
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("n (make_classification samples, 75% used for training)")
    axis.set_ylabel("seconds per iteration (fit time / iterations)")
    axis.set_title("Scaling series: time per iteration against n")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
