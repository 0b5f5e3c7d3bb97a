#!/usr/bin/env bash
# The README's GNU parallel recipe, checked: an ensemble run as 3 shards by `parallel`, merged
# with `detente merge`, is byte-identical to the unsharded run (report and bands), and so is a
# sweep. Installs Debian's `parallel` if missing. DETENTE: the binary (default: the debug build
# `cargo test` makes).
set -euo pipefail
cd "$(dirname "$0")/.."
DETENTE="${DETENTE:-${CARGO_TARGET_DIR:-target}/debug/detente}"
DETENTE="$(realpath "$DETENTE")"
if ! command -v parallel >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq parallel >/dev/null
fi
scenario="$PWD/scenarios/lithuania_belarus/baseline.toml"
sweep_scenario="$PWD/scenarios/lithuania_belarus/combined_sensitivity.toml"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

"$DETENTE" run "$scenario" --runs 1500 -q -o whole.json --bands whole-bands.csv
parallel --will-cite --halt now,fail=1 \
  "$DETENTE" run "$scenario" --runs 1500 --shard {}/3 -q -o part{}.json ::: 1 2 3
"$DETENTE" merge part*.json -q -o merged.json --bands merged-bands.csv
cmp whole.json merged.json
cmp whole-bands.csv merged-bands.csv

"$DETENTE" sweep "$sweep_scenario" --design oat --runs 40 -q -o whole-sweep.md
parallel --will-cite --halt now,fail=1 \
  "$DETENTE" sweep "$sweep_scenario" --design oat --runs 40 --shard {}/3 -q -o sweep{}.json ::: 1 2 3
"$DETENTE" merge sweep*.json -o merged-sweep.md
cmp whole-sweep.md merged-sweep.md
echo "parallel-check: 3 shards under GNU parallel merged = the unsharded ensemble and sweep"
