#!/usr/bin/env python3
"""Checks that detente's CSV outputs load as they are into pandas, polars and DuckDB.

It writes every kind of CSV detente makes, from the shipped scenarios and from a hostile copy of
one, and reads each with the three libraries' default options (`pandas.read_csv(path)`,
`polars.read_csv(path)`, DuckDB's `read_csv_auto(path)`):

- runs        `detente run S --runs 200 --format csv -o runs.csv`: one row per run
- bands       `detente run S --runs 200 --bands bands.csv`: one row per series and time point
- trajectory  `detente run S --trajectory t.csv` (and `--format csv -o`, which must be the same)
- sweep       `detente sweep S ... --format csv`: one row per point
- explain     `detente explain S TARGET --format csv` (one run, an ensemble, a counterfactual)

For each file, first what the file itself is (Python's csv module is the RFC 4180 reference):
every row has the header's number of fields, the header's names are unique (and unique ignoring
case, as DuckDB's identifiers are), the file is one table (no blank line, no second header), and
whether it starts with a `#` manifest comment (then it is also read with each library's documented
comment option: pandas `comment="#"`, polars `comment_prefix="#"`, DuckDB `comment='#'`). Then per
library:

- load       it loads at all;
- names      the column names are exactly the header's, in order;
- rows       the row count is what the JSON report says (runs; series x time points; steps + 1;
             points; an explanation's start, source and end rows);
- types      numeric columns come out numeric (float64/int64, Float64/Int64, DOUBLE/BIGINT, not
             object/String/VARCHAR), empty cells ("never reached", "no interval") as NaN/null;
             text columns (names, actor ids, labels) come out as the text in the file;
- values     every numeric cell is the float the csv module reads from it, bit for bit, and the
             empty cells are exactly the null ones;
- json       the numbers agree with the JSON report of the same command: a per-run column's mean
             with the metric's mean and each outcome's reach and mean first step (to 1e-12
             relative), every band, the trajectory's initial, final, min, max and mean, every sweep
             estimate, every explanation amount and interval (exactly, where both are the same f64).

Columns are stable: the runs header does not depend on the number of runs or the seed, and the
series are the same in the runs, bands and trajectory files and the JSON report.

The hostile case copies scenarios/lithuania_belarus/baseline.toml and renames what the scenario
format allows to be renamed into names that read as something else in CSV: series `step`, `NA`,
`nan`, `null`, `true`, `inf`, `R` beside `r`; outcomes `NA`, `None`, `FALSE`; actions `nan`,
`NULL`; a rule `NaN`; parameters `point` and `run`; actors `007` and `1e5`; a relation kind
`pres,"sure` and a series whose expression holds a comma and quotes.

Usage: scripts/frames-check.sh (makes a venv, builds detente) or, with pandas, polars and duckdb
installed: scripts/frames-check.py --detente PATH --work DIR
Prints PASS/FAIL per file and library with the offending lines, a table of results per kind and
library, and a closing `N passed, N failed`; exits 1 if any check failed.
"""
import argparse
import csv
import glob
import io
import json
import math
import os
import re
import shlex
import subprocess
import sys

import duckdb
import pandas as pd
import polars as pl

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
LIBS = ("pandas", "polars", "duckdb")
RUNS = 200
REL = 1e-12
MAX_DETAILS = 6


# ------------------------------------------------------------------------------------------------
# Running detente.


class Detente:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.commands = []

    def __call__(self, *args, cwd=ROOT):
        cmd = [self.binary, *args]
        shown = " ".join(shlex.quote(a.replace(self.work + os.sep, "$WORK/")) for a in args)
        self.commands.append("detente " + shown)
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"frames-check: `detente {shown}` failed ({p.returncode}):\n{p.stderr}")
        return p


# ------------------------------------------------------------------------------------------------
# Loading, one function per library: (column names, {name: (class, dtype, values)}) where class is
# "num", "text", "bool" or "other" and values are Python floats, strings or None (null or NaN).


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def load_pandas(path, comment=False):
    df = pd.read_csv(path, comment="#") if comment else pd.read_csv(path)
    cols = {}
    for i, name in enumerate(df.columns):
        s = df.iloc[:, i]
        kind = s.dtype.kind
        if kind in "iuf":
            cls = "num"
        elif kind == "b":
            cls = "bool"
        elif pd.api.types.is_string_dtype(s.dtype):
            cls = "text"
        else:
            cls = "other"
        cols[name] = (cls, str(s.dtype), [_clean(v) for v in s.tolist()])
    return [str(c) for c in df.columns], cols


def load_polars(path, comment=False):
    df = pl.read_csv(path, comment_prefix="#") if comment else pl.read_csv(path)
    cols = {}
    for s in df.get_columns():
        dt = s.dtype
        cls = "num" if dt.is_numeric() else "bool" if dt == pl.Boolean else "text" if dt == pl.String else "other"
        cols[s.name] = (cls, str(dt), [_clean(v) for v in s.to_list()])
    return df.columns, cols


DUCK_NUMERIC = re.compile(r"^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL.*)$")


def load_duckdb(path, comment=False):
    con = duckdb.connect()
    quoted = path.replace("'", "''")
    opts = ", comment = '#'" if comment else ""
    rel = con.sql(f"SELECT * FROM read_csv_auto('{quoted}'{opts})")
    names, types = rel.columns, [str(t) for t in rel.types]
    rows = rel.fetchall()
    cols = {}
    for i, (name, t) in enumerate(zip(names, types)):
        cls = "num" if DUCK_NUMERIC.match(t) else "bool" if t == "BOOLEAN" else "text" if t == "VARCHAR" else "other"
        cols[name] = (cls, t, [_clean(r[i]) for r in rows])
    con.close()
    return list(names), cols


LOADERS = {"pandas": load_pandas, "polars": load_polars, "duckdb": load_duckdb}
COMMENT_OPTION = {"pandas": 'comment="#"', "polars": 'comment_prefix="#"', "duckdb": "comment='#'"}


# ------------------------------------------------------------------------------------------------
# Results.


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.matrix = {}  # (kind, source) -> lib -> [passed files, failed files]
        self.problems = {}  # short problem -> set of (case, lib)

    def record(self, case, lib, failures):
        cell = self.matrix.setdefault((case.kind, case.source), {}).setdefault(lib, [0, 0])
        if failures:
            self.failed += 1
            cell[1] += 1
            print(f"FAIL {case.name} [{lib}]")
            for check, lines in failures:
                print(f"  {check}: {lines[0]}")
                for line in lines[1:]:
                    print(f"      {line}")
                self.problems.setdefault(f"{case.kind}: {check}", set()).add((case.name, lib))
        else:
            self.passed += 1
            cell[0] += 1
            print(f"PASS {case.name} [{lib}]")


def clip(text, n=160):
    text = text.rstrip("\n")
    return text if len(text) <= n else text[: n - 1] + "…"


def limited(items):
    items = list(items)
    extra = len(items) - MAX_DETAILS
    return items[:MAX_DETAILS] + ([f"… and {extra} more"] if extra > 0 else [])


def close(a, b, rel=REL):
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def as_float(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------
# A CSV file to check: its kind, what its columns are, and what the JSON report says.


class Case:
    def __init__(self, name, kind, source, path, text_columns, expect_rows, reference, json_path=None):
        self.name = name
        self.kind = kind
        self.source = source  # "real" or "hostile"
        self.path = path
        self.text_columns = set(text_columns)
        self.expect_rows = expect_rows
        self.reference = reference  # function(get) -> list of failure lines
        self.json_path = json_path

    def read(self):
        with open(self.path, encoding="utf-8", newline="") as f:
            self.raw = f.read()
        self.lines = self.raw.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        body = self.raw
        self.manifest = bool(self.lines) and self.lines[0].startswith("#")
        if self.manifest:
            body = "\n".join(l for l in self.lines if not l.startswith("#")) + "\n"
        self.table = list(csv.reader(io.StringIO(body, newline="")))
        self.header = self.table[0] if self.table else []
        # The first table only: up to a blank line (a second table is a file-level failure).
        rows = []
        for r in self.table[1:]:
            if not r:
                break
            rows.append(r)
        self.rows = rows
        first = 1 + sum(1 for l in self.lines if l.startswith("#")) if self.manifest else 1
        self.line_of_row = lambda i: first + 1 + i  # 1-based line number of data row i


def file_checks(case):
    """What the file is, before any library reads it."""
    out = []
    h = case.header
    dup = sorted({c for c in h if h.count(c) > 1})
    if dup:
        out.append(("header unique", [f"duplicate column names {dup}", f"line 1: {clip(case.lines[0], 200)}"]))
    lower = {}
    for c in h:
        lower.setdefault(c.lower(), set()).add(c)
    folded = sorted(tuple(sorted(v)) for v in lower.values() if len(v) > 1)
    if folded:
        out.append(("header unique ignoring case", [f"names that differ only in case (one column in DuckDB): {folded}", f"line 1: {clip(case.lines[0], 200)}"]))
    ragged = [i for i, r in enumerate(case.table[1:]) if r and len(r) != len(h)]
    blank = [i for i, l in enumerate(case.lines) if l == ""]
    if blank:
        lines = []
        for b in blank[:2]:
            lines += [f"line {n + 1}: {clip(case.lines[n]) or '(blank)'}" for n in range(max(0, b - 1), min(len(case.lines), b + 2))]
        out.append(("one table", [f"a blank line at line {blank[0] + 1} starts a second table ({len(case.table) - len(case.rows) - 2} more rows, another header)"] + lines))
    if ragged:
        i = ragged[0]
        out.append(("fields per row", [f"{len(ragged)} rows do not have the header's {len(h)} fields", f"line {i + 2}: {clip(case.lines[i + 1])}"]))
    if case.expect_rows is not None and len(case.rows) != case.expect_rows:
        out.append(("rows (csv module)", [f"{len(case.rows)} data rows, the JSON report says {case.expect_rows}"]))
    return out


def library_checks(case, lib, comment=False):
    out = []
    try:
        names, cols = LOADERS[lib](case.path, comment=comment)
    except Exception as e:  # noqa: BLE001 - any loader error is the finding
        text = str(e)
        lines = [f"{type(e).__name__}: {clip(text.splitlines()[0] if text else '', 300)}"]
        # polars: "could not parse `V` as dtype `i64` at column 'C'": the line it stopped at.
        m = re.search(r"could not parse `([^`]*)` as dtype `([^`]*)` at column '([^']*)'", text)
        if m and m.group(3) in case.header:
            j = case.header.index(m.group(3))
            cells = [r[j] for r in case.rows]
            first = next((i for i, c in enumerate(cells) if c == m.group(1)), None)
            whole = sum(1 for c in cells[: first or 0] if re.fullmatch(r"-?[0-9]+", c))
            if first is not None:
                lines.append(f"its {whole} earlier cells are whole numbers written without a point (`{cells[0]}`), so `{m.group(3)}` was inferred as {m.group(2)}")
                lines.append(f"line {case.line_of_row(first)}: {clip(case.lines[case.line_of_row(first) - 1])}")
        return [("load", lines)], None
    if names != case.header:
        diff = [f"column {i}: header `{a}` -> loaded `{b}`" for i, (a, b) in enumerate(zip(case.header, names)) if a != b]
        if len(names) != len(case.header):
            diff.insert(0, f"{len(case.header)} header names, {len(names)} loaded columns")
        out.append(("names", limited(diff) + [f"line 1: {clip(case.lines[0], 200)}"]))
    n = len(next(iter(cols.values()))[2]) if cols else 0
    if case.expect_rows is not None and n != case.expect_rows:
        out.append(("rows", [f"{n} rows loaded, the JSON report says {case.expect_rows}"]))
    # Types and cell values, by position (names may have been changed by the library).
    wrong_type, wrong_text, wrong_num = [], [], []
    loaded = list(cols.items())
    for j, col in enumerate(case.header):
        if j >= len(loaded):
            break
        lname, (cls, dtype, values) = loaded[j]
        cells = [r[j] if j < len(r) else "" for r in case.rows]
        empty = all(c == "" for c in cells)
        if col in case.text_columns:
            if empty:
                continue  # no loader can know the type of a column with nothing in it
            if cls != "text":
                first = next(i for i, c in enumerate(cells) if c != "")
                wrong_type.append(f"`{col}` is text but loads as {dtype}; line {case.line_of_row(first)}: {clip(case.lines[case.line_of_row(first) - 1], 120)}")
            for i, (c, v) in enumerate(zip(cells, values)):
                want = None if c == "" else c
                got = v if isinstance(v, str) or v is None else v
                if got != want:
                    wrong_text.append(f"`{col}` line {case.line_of_row(i)}: `{c}` loads as {got!r}")
        else:
            if cls != "num":
                if empty:
                    why = f"every one of its {len(cells)} cells is empty"
                else:
                    first = next(i for i, c in enumerate(cells) if c != "")
                    why = f"its first value is on line {case.line_of_row(first)} (row {first + 1}; the rows before are empty): {clip(case.lines[case.line_of_row(first) - 1], 100)}"
                wrong_type.append(f"`{col}` is numeric but loads as {dtype}: {why}")
            for i, (c, v) in enumerate(zip(cells, values)):
                want = None if c == "" else float(c)
                got = as_float(v)
                if (want is None) != (got is None) or (want is not None and got != want):
                    wrong_num.append(f"`{col}` line {case.line_of_row(i)}: `{c}` loads as {v!r}")
    if wrong_type:
        out.append(("types", limited(wrong_type)))
    if wrong_text:
        out.append(("text values", limited(wrong_text)))
    if wrong_num:
        out.append(("numeric values", limited(wrong_num)))

    ambiguous = []

    def get(col):
        """A column's values as floats (None for null), by header name (the first of that name)."""
        if col not in case.header:
            ambiguous.append(f"no column `{col}`")
            return []
        if case.header.count(col) > 1 and f"`{col}` names {case.header.count(col)} columns; by name this reads the first" not in ambiguous:
            ambiguous.append(f"`{col}` names {case.header.count(col)} columns; by name this reads the first")
        j = case.header.index(col)
        return [as_float(v) for v in loaded[j][1][2]] if j < len(loaded) else []

    if case.reference and n == case.expect_rows:
        bad = case.reference(get)
        bad = ambiguous + bad if bad or ambiguous else bad
        if bad:
            out.append(("json", limited(bad)))
    return out, names


# ------------------------------------------------------------------------------------------------
# The references: what the JSON report of the same command says.


def runs_reference(report):
    def check(get):
        bad = []
        if get("run") != [float(i) for i in range(report["runs"])]:
            bad.append("`run` is not 0..runs-1")
        for m in report["metrics"]:
            v = get(m["name"])
            mean = math.fsum(v) / len(v) if v and None not in v else None
            if not close(mean, m["mean"]):
                bad.append(f"mean of `{m['name']}` is {mean!r}, the report's {m['mean']!r}")
        for o in report["outcomes"]:
            v = [x for x in get("first_step." + o["name"]) if x is not None]
            if len(v) != o["reached"]:
                bad.append(f"`first_step.{o['name']}` has {len(v)} steps, the report {o['reached']} runs reaching it")
            mean = math.fsum(v) / len(v) if v else None
            if not close(mean, o["first_step_mean"]):
                bad.append(f"mean of `first_step.{o['name']}` is {mean!r}, the report's {o['first_step_mean']!r}")
        return bad

    return check


def bands_reference(report):
    b = report["bands"]

    def check(get):
        bad = []
        steps = get("step")
        want_steps = [float(s) for s in b["steps"]] * len(b["series"])
        if steps != want_steps:
            bad.append("`step` is not the report's steps, series after series")
        for col in ("mean", "q05", "q25", "q50", "q75", "q95"):
            want = [x for s in b["series"] for x in s[col]]
            got = get(col)
            diff = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
            if diff:
                bad.append(f"`{col}` differs from the report's in {len(diff)} rows, first row {diff[0] + 1}: {got[diff[0]]!r} vs {want[diff[0]]!r}")
        return bad

    return check


def trajectory_reference(report):
    def check(get):
        bad = []
        for s in report["series"]:
            v = get(s["name"])
            if None in v or not v:
                bad.append(f"`{s['name']}` has empty cells")
                continue
            for what, got in (("initial", v[0]), ("final", v[-1]), ("min", min(v)), ("max", max(v))):
                if got != s[what]:
                    bad.append(f"`{s['name']}` {what} {got!r}, the report's {s[what]!r}")
            mean = math.fsum(v) / len(v)
            if not close(mean, s["mean"]):
                bad.append(f"`{s['name']}` mean {mean!r}, the report's {s['mean']!r}")
        return bad

    return check


def sweep_reference(report):
    def check(get):
        bad = []
        rows = report["rows"]
        if get("point") != [float(r["index"]) for r in rows]:
            bad.append("`point` is not the report's point indices")
        for k, f in enumerate(report["factors"]):
            if get(f["name"]) != [r["values"][k] for r in rows]:
                bad.append(f"factor `{f['name']}` differs from the report's values")
        for k, o in enumerate(report["outputs"]):
            for col, pick in ((o["id"], lambda e: e["value"]), (o["id"] + ".lo", lambda e: e["ci"][0]), (o["id"] + ".hi", lambda e: e["ci"][1])):
                if get(col) != [pick(r["estimates"][k]) for r in rows]:
                    bad.append(f"`{col}` differs from the report's estimates")
        return bad

    return check


def explain_rows(report):
    rows = []
    for a in report["accounts"]:
        if not a["sources"]:
            continue
        rows.append((a["start"], None, None, None))
        for s in a["sources"]:
            lo, hi = s["ci95"] if s["ci95"] else (None, None)
            rows.append((s["amount"], lo, hi, s["share"]))
        rows.append((a["end"], None, None, None))
    return rows


def explain_reference(report):
    want = explain_rows(report)

    def check(get):
        bad = []
        for k, col in enumerate(("amount", "ci_low", "ci_high", "share")):
            got = get(col)[: len(want)]
            exp = [r[k] for r in want]
            diff = [i for i, (g, w) in enumerate(zip(got, exp)) if g != w]
            if diff:
                bad.append(f"`{col}` differs from the report's in {len(diff)} rows, first row {diff[0] + 1}: {got[diff[0]]!r} vs {exp[diff[0]]!r}")
        return bad

    return check


EXPLAIN_TEXT = ("place", "kind", "name", "action", "actor", "target", "spilled_to", "label")


# ------------------------------------------------------------------------------------------------
# Writing the files.


def slug(path):
    return os.path.splitext(os.path.relpath(path, os.path.join(ROOT, "scenarios")))[0].replace(os.sep, "-")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def ensemble_cases(det, scenario, work, source, name):
    """The runs and bands files of one scenario, and one run's trajectory."""
    runs_csv = os.path.join(work, f"{name}.runs.csv")
    bands_csv = os.path.join(work, f"{name}.bands.csv")
    ens_json = os.path.join(work, f"{name}.ensemble.json")
    traj_csv = os.path.join(work, f"{name}.trajectory.csv")
    out_csv = os.path.join(work, f"{name}.run.csv")
    run_json = os.path.join(work, f"{name}.run.json")
    det("run", scenario, "--runs", str(RUNS), "-q", "--format", "csv", "-o", runs_csv, "--bands", bands_csv)
    det("run", scenario, "--runs", str(RUNS), "-q", "-o", ens_json)
    det("run", scenario, "-q", "--trajectory", traj_csv, "-o", run_json)
    det("run", scenario, "-q", "--format", "csv", "-o", out_csv)
    small_csv = os.path.join(work, f"{name}.runs-3.csv")
    det("run", scenario, "--runs", "3", "--seed", "7", "-q", "--format", "csv", "-o", small_csv)
    ens, run = load_json(ens_json), load_json(run_json)
    b = ens["bands"]
    cases = [
        Case(f"{name} runs", "runs", source, runs_csv, (), ens["runs"], runs_reference(ens), ens_json),
        Case(f"{name} bands", "bands", source, bands_csv, ("series",), len(b["series"]) * len(b["steps"]), bands_reference(ens), ens_json),
        Case(f"{name} trajectory", "trajectory", source, traj_csv, (), run["scenario"]["steps"] + 1, trajectory_reference(run), run_json),
    ]
    # Stability: the same columns whatever the runs and seed, the same series everywhere.
    stable = []
    with open(runs_csv, encoding="utf-8") as f, open(small_csv, encoding="utf-8") as g:
        a, c = f.readline(), g.readline()
    if a != c:
        stable.append(f"the runs header with --runs 3 --seed 7 differs: {clip(c)}")
    with open(traj_csv, "rb") as f, open(out_csv, "rb") as g:
        if f.read() != g.read():
            stable.append("`run --format csv -o` is not the same file as `--trajectory`")
    series = [s["name"] for s in run["series"]]
    header = next(csv.reader(io.StringIO(a)))
    finals = [c[len("final."):] for c in header if c.startswith("final.")]
    with open(traj_csv, encoding="utf-8") as f:
        traj_header = next(csv.reader(f))
    band_series = [s["name"] for s in b["series"]]
    for what, got in (("runs `final.*`", finals), ("trajectory", traj_header[1:]), ("bands", band_series)):
        if sorted(got) != sorted(series):
            stable.append(f"the {what} series {got} are not the report's {series}")
    return cases, stable


def sweep_case(det, scenario, work, source, name, *args):
    csv_path = os.path.join(work, f"{name}.sweep.csv")
    json_path = os.path.join(work, f"{name}.sweep.json")
    det("sweep", scenario, *args, "-q", "--format", "csv", "-o", csv_path)
    det("sweep", scenario, *args, "-q", "--format", "json", "-o", json_path)
    rep = load_json(json_path)
    return Case(f"{name} sweep", "sweep", source, csv_path, (), rep["points"], sweep_reference(rep), json_path)


def explain_case(det, scenario, work, source, name, *args):
    csv_path = os.path.join(work, f"{name}.explain.csv")
    json_path = os.path.join(work, f"{name}.explain.json")
    det("explain", scenario, *args, "-q", "--format", "csv", "-o", csv_path)
    det("explain", scenario, *args, "-q", "--format", "json", "-o", json_path)
    rep = load_json(json_path)
    kind = "explain+counterfactual" if rep.get("counterfactual") else "explain"
    return Case(f"{name} explain", kind, source, csv_path, EXPLAIN_TEXT, len(explain_rows(rep)), explain_reference(rep), json_path)


# The hostile copy of the baseline: names the format allows that read as something else in CSV.
HOSTILE_ACTORS = {"LTU": "007", "BLR": "1e5"}
HOSTILE_NAMES = {
    # series
    "tension_ltu_blr": "step", "tension_blr_ltu": "NA", "trust_ltu_blr": "nan", "trust_blr_ltu": "null",
    "blr_reforms": "true", "leverage_on_blr": "inf", "ltu_resolve": "R", "ltu_info_pressure": "r",
    # outcomes
    "crisis": "NA", "talks_held": "None", "border_reopened": "FALSE",
    # actions
    "push_migrants": "nan", "sanctions": "NULL",
    # a rule and an event
    "ltu_rejects_talks": "NaN", "migration_background": "N_A",
    # parameters
    "propose_prob": "point", "retaliation_prob": "run",
}
HOSTILE_KIND = 'pres,"sure'
HOSTILE_EXPRESSION = "sum(leverage, in('1e5', 'pres,\"sure'))"


def hostile_scenario(work):
    with open(os.path.join(ROOT, "scenarios/lithuania_belarus/baseline.toml"), encoding="utf-8") as f:
        src = f.read()
    for old, new in HOSTILE_ACTORS.items():
        src = src.replace(f"[actors.{old}]", f'[actors."{new}"]').replace(f'"{old}"', f'"{new}"')
        # In expressions an id that is not a plain name is quoted.
        src = re.sub(r"(?<![A-Za-z0-9_'\"])" + old + r"(?![A-Za-z0-9_'\"])", f"'{new}'", src)
    for old, new in HOSTILE_NAMES.items():
        src = re.sub(r"(?<![A-Za-z0-9_])" + old + r"(?![A-Za-z0-9_])", new, src)
    src = src.replace('kind = "pressure"', "kind = '" + HOSTILE_KIND + "'")
    expr = HOSTILE_EXPRESSION.replace('"', '\\"')
    src = src.replace("[report]\nseries = { ", f'[report]\nseries = {{ quoted = "{expr}", ', 1)
    path = os.path.join(work, "hostile.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)
    return path


# ------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detente", default=os.environ.get("DETENTE"), help="the detente binary")
    ap.add_argument("--work", required=True, help="folder to write the CSV and JSON files in")
    args = ap.parse_args()
    if not args.detente:
        ap.error("give --detente PATH or set DETENTE")
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    det = Detente(os.path.abspath(args.detente), work)
    print(f"frames-check: pandas {pd.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}; {det('--version').stdout.strip()}")

    cases, stability = [], []
    scenarios = sorted(glob.glob(os.path.join(ROOT, "scenarios", "**", "*.toml"), recursive=True))
    for s in scenarios:
        c, st = ensemble_cases(det, s, work, "real", slug(s))
        cases += c
        stability += [(slug(s), x) for x in st]
    base = os.path.join(ROOT, "scenarios/lithuania_belarus/baseline.toml")
    sens = os.path.join(ROOT, "scenarios/lithuania_belarus/combined_sensitivity.toml")
    combined = os.path.join(ROOT, "scenarios/lithuania_belarus/combined.toml")
    ishigami = os.path.join(ROOT, "scenarios/sensitivity/ishigami.toml")
    cases += [
        sweep_case(det, base, work, "real", "baseline-grid", "--vary", "propose_prob=0.1..0.5", "--vary", "retaliation_prob=0.2,0.8", "--levels", "3", "--runs", "20"),
        sweep_case(det, base, work, "real", "baseline-oat", "--vary", "propose_prob=0.1..0.5", "--vary", "drills_prob=0.2..0.8", "--design", "oat", "--runs", "20"),
        sweep_case(det, sens, work, "real", "combined_sensitivity-morris", "--runs", "20"),
        sweep_case(det, ishigami, work, "real", "ishigami-sobol", "--points", "16"),
        explain_case(det, base, work, "real", "baseline-run", "tension(LTU, BLR)"),
        explain_case(det, base, work, "real", "baseline-ensemble", "tension(LTU, BLR)", "--runs", "100"),
        explain_case(det, combined, work, "real", "combined-outcome", "outcome.border_reopened", "--runs", "100"),
        explain_case(det, base, work, "real", "baseline-counterfactual", "tension(LTU, BLR)", "--runs", "50", "--counterfactual", "--counterfactual-runs", "50"),
    ]

    hostile = hostile_scenario(work)
    det("check", hostile)
    c, st = ensemble_cases(det, hostile, work, "hostile", "hostile")
    cases += c
    stability += [("hostile", x) for x in st]
    cases += [
        sweep_case(det, hostile, work, "hostile", "hostile-grid", "--vary", "point=0.1..0.5", "--vary", "run=0.2,0.8", "--levels", "3", "--runs", "20"),
        explain_case(det, hostile, work, "hostile", "hostile-ensemble", "tension(007, 1e5)", "--runs", "100"),
    ]
    with open(os.path.join(work, "commands.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(det.commands) + "\n")
    print(f"frames-check: {len(det.commands)} detente commands (commands.txt), {len(cases)} CSV files in {work}")

    res = Results()
    for case in cases:
        case.read()
        fails = file_checks(case)
        if case.manifest:
            print(f"NOTE {case.name}: starts with a `#` manifest line; read again with each library's comment option")
        res.record(case, "file", fails)
        for lib in LIBS:
            fails, _ = library_checks(case, lib)
            res.record(case, lib, fails)
            if case.manifest:
                fails, _ = library_checks(case, lib, comment=True)
                res.record(case, f"{lib} {COMMENT_OPTION[lib]}", fails)

    # Stability of the columns, and the hostile scenario's labels in the JSON report (CSV files
    # carry names only).
    for name, problem in stability:
        res.failed += 1
        print(f"FAIL {name} columns stable: {problem}")
        res.problems.setdefault("columns stable", set()).add((name, "file"))
    ens = load_json(os.path.join(work, "hostile.ensemble.json"))
    labels = {m["name"]: m["label"] for m in ens["metrics"]}
    if labels.get("final.quoted") == "final " + HOSTILE_EXPRESSION:
        res.passed += 1
        print("PASS hostile JSON label of series `quoted` keeps its comma and quotes")
    else:
        res.failed += 1
        print(f"FAIL hostile JSON label of series `quoted`: {labels.get('final.quoted')!r}")

    # What a `#` manifest line would do (detente writes none): the baseline's runs file with one.
    probe = os.path.join(work, "probe-manifest.runs.csv")
    with open(os.path.join(work, "lithuania_belarus-baseline.runs.csv"), encoding="utf-8") as f:
        body = f.read()
    with open(probe, "w", encoding="utf-8") as f:
        f.write(f"# detente {ens['detente_version']} run baseline.toml --runs {RUNS} seed 42 scenario hash 0123456789abcdef\n" + body)
    print("probe (not counted): the baseline runs file with a `#` manifest first line")
    for lib in LIBS:
        for comment in (False, True):
            try:
                names, cols = LOADERS[lib](probe, comment=comment)
                n = len(next(iter(cols.values()))[2]) if cols else 0
                ok = names == next(csv.reader(io.StringIO(body))) and n == RUNS
                what = "reads the table" if ok else f"misreads it: {len(names)} columns, first {names[0]!r}, {n} rows"
            except Exception as e:  # noqa: BLE001
                what = f"{type(e).__name__}: {clip(str(e).splitlines()[0], 140)}"
            opt = COMMENT_OPTION[lib] if comment else "defaults"
            print(f"  {lib} ({opt}): {what}")

    # What a float written as a whole number does further down a file than a library looks: the
    # multilateral runs file's `final.trust_blr_ltu`, whose first fraction is on line 104 (polars
    # looks at 100 rows and stops with an error there), made longer than DuckDB's 20,480-row sample
    # by repeating its whole-number rows, then that row.
    source = os.path.join(work, "lithuania_belarus-multilateral.runs.csv")
    with open(source, encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    j = table[0].index("final.trust_blr_ltu")
    whole = [r for r in table[1:] if r[j] == "0"]
    late = next((r for r in table[1:] if r[j] not in ("0", "")), None)
    if whole and late:
        probe = os.path.join(work, "probe-late-fraction.runs.csv")
        with open(probe, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(table[0])
            rows = (whole * (30000 // len(whole) + 1))[:30000]
            w.writerows(rows + [late])
        print(f"probe (not counted): `final.trust_blr_ltu` written `0` in 30,000 rows, then `{late[j]}` on line 30,002")
        for lib in LIBS:
            try:
                names, cols = LOADERS[lib](probe)
                cls, dtype, values = cols[names[j]]
                what = f"{dtype}, last value {values[-1]!r}" + (" (silently rounded)" if as_float(values[-1]) != float(late[j]) else "")
            except Exception as e:  # noqa: BLE001
                what = f"{type(e).__name__}: {clip(str(e).splitlines()[0], 140)}"
            print(f"  {lib}: {what}")

    print("\nresults per kind and library (files passed/failed):")
    cols = ("file",) + LIBS
    cols += tuple(sorted({lib for per in res.matrix.values() for lib in per} - set(cols)))
    print(f"  {'kind':32}" + "".join(f"{c:>12}" for c in cols))
    for (kind, source), per in sorted(res.matrix.items(), key=lambda kv: (kv[0][1] != "real", kv[0][0])):
        row = "".join(f"{'%d/%d' % tuple(per.get(c, [0, 0])):>12}" for c in cols)
        print(f"  {kind + ' (' + source + ')':32}" + row)
    print("\nproblems (check: files x libraries):")
    for p, where in sorted(res.problems.items()):
        libs = sorted({lib for _, lib in where})
        print(f"  {p}: {len({c for c, _ in where})} files; {', '.join(libs)}")
    print(f"\n{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
