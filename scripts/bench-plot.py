#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# The scale curves of a `make bench` run: reads its bench.csv, draws each
# scaled benchmark's C and Rust medians against the scale (log-log, the
# repetitions' min to max as error bars) into bench.png, and prints each
# curve's growth: the log-log slope of the median time per operation over its
# upper points (0: the same time per operation at every scale), C's and
# Rust's. With three points or more, the slope runs from the second to the
# last: a run's fixed costs (a workqueue, a software SA, a device of its own)
# weigh on the smallest point, which says little about growth. Rust's curve is
# steeper ("YES") when its slope exceeds C's by more than SLOPE_NOISE and the
# Rust/C ratio grew beyond the repetitions' spread: its smallest value at the
# largest scale is above its largest at the slope's first point. A steeper
# slope within the spread is "spread". Exit status: 0, or 2 if a curve is
# steeper, or 1 if the plot cannot be made.
#
#   bench-plot.py RESULTS_DIR
#
# Debian's python3-matplotlib (scripts/setup.sh installs it).

import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Slopes closer than this are the same growth: the repetitions of one point
# spread by up to 1.5 times under TCG, which moves a slope over a 10x range by
# log10(1.5) / 1 = 0.18 at worst, and over a 100x range by half that.
SLOPE_NOISE = 0.1

UNITS = {"ns": "ns per operation", "ms": "ms in all"}


def number(v):
    """A figure of bench.csv, or None for n/a."""
    try:
        return float(v)
    except ValueError:
        return None


def curves(rows):
    """The scaled benchmarks with a median for each: name -> sorted [(scale, row)]."""
    out = {}
    for r in rows:
        if r["scale"] and number(r["c_median"]) and number(r["rust_median"]):
            out.setdefault(r["benchmark"], []).append((int(r["scale"]), r))
    for points in out.values():
        points.sort(key=lambda p: p[0])
    return {k: v for k, v in out.items() if len(v) > 1}


def first(points):
    """The point the slope starts from."""
    return points[1 if len(points) > 2 else 0]


def slope(points, impl):
    (x0, r0), (x1, r1) = first(points), points[-1]
    y0, y1 = number(r0[impl + "_median"]), number(r1[impl + "_median"])
    return math.log(y1 / y0) / math.log(x1 / x0)


def ratio_grew(points):
    """Whether the Rust/C ratio grew beyond the repetitions' spread."""
    lo, hi = number(points[-1][1]["ratio_min"]), number(first(points)[1]["ratio_max"])
    return lo is not None and hi is not None and lo > hi


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "bench.csv")) as f:
        rows = list(csv.DictReader(f))
    cs = curves(rows)
    if not cs:
        print("no scale curves in bench.csv", file=sys.stderr)
        return 1
    lines = ["", "%-30s %-19s %8s %8s  %s" % ("scale curve", "scales", "C slope",
                                               "Rust", "Rust steeper")]
    steeper = 0
    for name, points in cs.items():
        c, r = slope(points, "c"), slope(points, "rust")
        worse = r - c > SLOPE_NOISE
        grew = ratio_grew(points)
        steeper += worse and grew
        lines.append("%-30s %-19s %8.2f %8.2f  %s" % (
            name, ",".join(str(p[0]) for p in points), c, r,
            "no" if not worse else "YES" if grew else "spread"))
    lines.append("  (log-log slope of the median per-operation time (gid_converge: of the"
                 " time in all) to the largest scale, from the second smallest when there are"
                 " three; steeper: by more than %.2f, with the Rust/C ratio grown beyond the"
                 " repetitions' spread, else \"spread\")" % SLOPE_NOISE)
    with open(os.path.join(d, "bench.txt"), "a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    n = len(cs)
    cols = 4 if n > 4 else n
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.6 * nrows), squeeze=False)
    for ax, (name, points) in zip(axes.flat, cs.items()):
        xs = [p[0] for p in points]
        for impl, label, style in (("c", "C", "o-"), ("rust", "Rust", "s--")):
            med = [number(p[1][impl + "_median"]) for p in points]
            lo = [max(0.0, m - number(p[1][impl + "_min"])) for m, p in zip(med, points)]
            hi = [max(0.0, number(p[1][impl + "_max"]) - m) for m, p in zip(med, points)]
            ax.errorbar(xs, med, yerr=[lo, hi], fmt=style, capsize=3, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("scale")
        ax.set_ylabel(UNITS.get(points[0][1]["unit"], points[0][1]["unit"]), fontsize=8)
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("rdma-rs scale curves, C against Rust (medians, min to max)", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "bench.png"), dpi=90)
    print("plot: %s" % os.path.join(d, "bench.png"))
    return 2 if steeper else 0


if __name__ == "__main__":
    sys.exit(main())
