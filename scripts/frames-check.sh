#!/usr/bin/env bash
# detente's CSV files read as they are by pandas, polars and DuckDB: makes a venv in a temporary
# folder with `pip install pandas polars duckdb`, builds detente (release) unless $DETENTE names a
# binary, and runs scripts/frames-check.py, which writes every kind of CSV (per-run rows, bands,
# trajectories, sweeps, explanations) from the shipped scenarios and from a hostile copy of one
# into the temporary folder and checks each with the three libraries. See the Python file for the
# checks.
#
# Usage: scripts/frames-check.sh [OUT_DIR]   (the CSV and JSON files are kept in OUT_DIR if given)
#   DETENTE=path/to/detente scripts/frames-check.sh   to check a binary already built
#   PYTHON=python3.12 scripts/frames-check.sh         to make the venv with another interpreter
# Exits 1 if any check failed (each failure is printed with the lines it is about).
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -z "${DETENTE:-}" ]]; then
  cargo build --release --quiet --bin detente
  target="${CARGO_TARGET_DIR:-target}"
  case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
  DETENTE="$target/release/detente"
fi
[[ -x "$DETENTE" ]] || { echo "frames-check: no detente binary at $DETENTE" >&2; exit 2; }
case "$DETENTE" in /*) ;; *) DETENTE="$(pwd)/$DETENTE" ;; esac

echo "frames-check: installing pandas, polars and duckdb in a venv" >&2
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check pandas polars duckdb

out="${1:-$work/out}"
mkdir -p "$out"
"$work/venv/bin/python" scripts/frames-check.py --detente "$DETENTE" --work "$out"
