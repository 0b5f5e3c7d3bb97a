#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/TARGET) from the repository's own files: the
# shipped scenarios and bad inputs, the relation files, and saved reports from the golden
# snapshots. Run from anywhere; then `cd fuzz && cargo +nightly fuzz run TARGET`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus"
mkdir -p "$corpus"/{load,expr,relation_csv,saved_report}
cp "$root"/scenarios/*/*.toml "$root"/tests/bad/*.toml "$corpus/load/"
cp "$root"/tests/bad/data/*.csv "$corpus/relation_csv/"
head -c 4000 "$root/scenarios/bench/border_net.csv" > "$corpus/relation_csv/border_net_head.csv"
# Every quoted expression in the shipped scenarios, one file each.
n=0
grep -ho '"[^"]*([^"]*"' "$root"/scenarios/*/*.toml | sed 's/^"//; s/"$//' | sort -u |
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" > "$corpus/expr/e$n"
  done
# Saved reports: the golden snapshots' ensemble JSON, without the snapshot header.
for snap in "$root"/tests/snapshots/golden__*__ensemble_json.snap; do
  name="$(basename "$snap" .snap)"
  awk 'f; /^---$/ && ++c == 2 { f = 1 }' "$snap" > "$corpus/saved_report/$name.json"
done
echo "seeded $(find "$corpus" -type f | wc -l) files under $corpus"
