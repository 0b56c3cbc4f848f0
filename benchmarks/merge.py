"""Merge the results of several benchmark runs into one.

A full run takes long on two cores; it can be made in parts, each with its
own ``--datasets`` and ``--out``, so that a part that fails or is cut short
costs only its own datasets. This module joins the parts' ``results.json``
into one, in the order given, and writes it to ``OUT/results.json``;
``python -m benchmarks --from-results --out OUT`` then writes the report and
the figures from it::

    python -m benchmarks --datasets digits wine --out /tmp/part1
    python -m benchmarks --datasets flights --out /tmp/part2
    python -m benchmarks.merge benchmarks/results /tmp/part1 /tmp/part2
    python -m benchmarks --from-results

The parts must share their seeds and methods and be full runs (not
``--quick``). The machine description, the GEMM rate of square matrices and
the profile come from the first part; each dataset's own measurements
(fits, times to adam's score, GEMM rate on its shapes) come from the part
that ran it. The whole run's time is the sum of the parts'.
"""

import argparse
import json
from pathlib import Path

#: Configuration fields that every part must share.
SHARED = ("seeds", "methods", "max_iter", "scaling_max_iter", "quick")


def _load(folder: Path) -> dict:
    with open(folder / "results.json", encoding="utf-8") as handle:
        return json.load(handle)["results"]


def merge(parts: list[dict]) -> dict:
    """Return the results of ``parts`` joined into one run.

    Parameters
    ----------
    parts : list of dict
        The ``results`` of each part's ``results.json``, in order.

    Returns
    -------
    dict
        One run's results, as :func:`benchmarks.runner.run` returns them,
        with ``parts``: each part's command and datasets.

    Raises
    ------
    ValueError
        If the parts differ in a shared configuration field, or two parts
        ran the same dataset.
    """
    first = parts[0]
    merged = dict(first)
    merged["config"] = dict(first["config"], datasets=[])
    merged["runs"], merged["score_times"] = [], []
    merged["gemm"] = dict(first["gemm"], shaped={})
    merged["total_seconds"] = 0.0
    merged["parts"] = []
    for part in parts:
        config = part["config"]
        for key in SHARED:
            if config[key] != first["config"][key]:
                raise ValueError(
                    f"The parts differ in {key}: {config[key]!r} against "
                    f"{first['config'][key]!r}; merge only parts of one design."
                )
        repeated = set(config["datasets"]) & set(merged["config"]["datasets"])
        if repeated:
            raise ValueError(f"Two parts ran the datasets {sorted(repeated)}.")
        merged["config"]["datasets"] += config["datasets"]
        merged["runs"] += part["runs"]
        merged["score_times"] += part["score_times"]
        merged["gemm"]["shaped"].update(part["gemm"]["shaped"])
        merged["total_seconds"] += part["total_seconds"]
        merged["parts"].append(
            {"command": part.get("command", ""), "datasets": config["datasets"]}
        )
    merged["command"] = " && ".join(p["command"] for p in merged["parts"])
    return merged


def main(argv: list[str] | None = None) -> None:
    """Merge the parts named on the command line into OUT/results.json."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.merge",
        description="Join the results.json of several benchmark parts.",
    )
    parser.add_argument("out", type=Path, help="folder of the merged results.json")
    parser.add_argument("parts", type=Path, nargs="+", help="the parts' folders")
    arguments = parser.parse_args(argv)
    merged = merge([_load(folder) for folder in arguments.parts])
    arguments.out.mkdir(parents=True, exist_ok=True)
    with open(arguments.out / "results.json", "w", encoding="utf-8") as handle:
        json.dump({"results": merged}, handle, indent=1)
    print(
        f"{arguments.out / 'results.json'}: {len(merged['runs'])} fits on "
        f"{len(merged['config']['datasets'])} datasets from "
        f"{len(arguments.parts)} parts"
    )


if __name__ == "__main__":
    main()
