#!/usr/bin/env python3
"""Cross-checks `detente sweep --design sobol` against SALib on the same sample.

A development check, not a build or test dependency: `pip install SALib`, then
    scripts/salib-check.py [path/to/detente]
It sweeps the Ishigami scenario, hands detente's own points and outputs to SALib's
`sobol.analyze` (reordered into SALib's layout: A, AB_1..AB_k, B per base row), and prints both
sets of indices. Total-order indices use Jansen's estimator in both and must agree to rounding;
SALib's first-order estimator is Saltelli's (2010), detente's Jansen's, so S1 agree only within
their intervals.
"""
import json
import math
import subprocess
import sys

import numpy as np
from SALib.analyze import sobol

detente = sys.argv[1] if len(sys.argv) > 1 else "target/release/detente"
pi = repr(math.pi)
args = [detente, "sweep", "scenarios/sensitivity/ishigami.toml", "-q", "--design", "sobol",
        "--points", "1024", "--runs", "2", "--metric", "final.y", "--format", "json"]
for x in ("x1", "x2", "x3"):
    args += ["--vary", f"{x}=-{pi}..{pi}"]
report = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
k = len(report["factors"])
y = np.array([row["estimates"][0]["value"] for row in report["rows"]])
rows = y.reshape(-1, k + 2)  # detente: A, B, AB_1..AB_k
salib_y = np.concatenate([rows[:, [0]], rows[:, 2:], rows[:, [1]]], axis=1).ravel()
problem = {"num_vars": k, "names": [f["name"] for f in report["factors"]],
           "bounds": [[-math.pi, math.pi]] * k}
s = sobol.analyze(problem, salib_y, calc_second_order=False, print_to_console=False)
ours = report["sensitivity"]["indices"][0]
worst_st = 0.0
print("factor  S1 detente [CI]            S1 SALib   ST detente  ST SALib")
for i, name in enumerate(problem["names"]):
    o = ours[i]
    print(f"{name:6}  {o['first']:.4f} [{o['first_ci'][0]:.4f}, {o['first_ci'][1]:.4f}]  "
          f"{s['S1'][i]:.4f}     {o['total']:.4f}      {s['ST'][i]:.4f}")
    worst_st = max(worst_st, abs(o["total"] - s["ST"][i]))
print(f"largest |ST detente - ST SALib| = {worst_st:.2e}")
sys.exit(0 if worst_st < 1e-9 else 1)
