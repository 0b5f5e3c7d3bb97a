#!/usr/bin/env bash
# Runs detente and the border-net peers (Mesa, numpy, krABMaga, hand-written Rust) side by side on
# the same generated networks, in one invocation, and prints edge-steps/s with ratios to the
# hand-written Rust "limit" measured in the same run. See README.md, "Performance".
#
#   benches/peers.sh                 # detente, limit, numpy, krABMaga, Mesa (slow peers once; their
#                                    # small ensembles on MESA_RUNS runs, scaled; SKIP_MESA_LARGE=1
#                                    # skips Mesa's large run, about a minute)
#   SKIP_PYTHON=1 benches/peers.sh   # detente and the Rust peers only
#   MEMORY=1 benches/peers.sh        # also: peak RSS at 80,000 and 800,000 relations (slope per relation)
#   HUGE=1 benches/peers.sh          # also: load and run 1,000,000 actors x 8 relations (needs ~2 GB of disk in /tmp)
#   BASELINE=old/detente benches/peers.sh
#                                    # also times a second detente binary (e.g. main's, built in a
#                                    # git worktree) interleaved with this one, and prints the A/B
#                                    # ratios: how every speed claim of a change is measured
#   SKIP_PEERS=1 BASELINE=... benches/peers.sh   # detente, the baseline and the limit only
#
# Env: PEERS (the peers folder; default ../shared/peers beside this repository), REPS (default 5:
# medians), MESA_RUNS (default 20), PY (python with mesa + numpy; default /tmp/peers_venv/bin/python,
# set up with: python3 -m venv /tmp/peers_venv && /tmp/peers_venv/bin/pip install -r $PEERS/requirements.txt),
# PIN (prefix for single-threaded runs; default "taskset -c 1" where taskset exists).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
PEERS="${PEERS:-$repo/../shared/peers}"
REPS="${REPS:-5}"
MESA_RUNS="${MESA_RUNS:-20}"
PY="${PY:-/tmp/peers_venv/bin/python}"
if command -v taskset >/dev/null; then PIN="${PIN-taskset -c 1}"; else PIN="${PIN-}"; fi
[ -f "$PEERS/gen_network.py" ] || { echo "peers not found at $PEERS (set PEERS=...)" >&2; exit 2; }

work="$(mktemp -d /tmp/detente-peers.XXXXXX)"
trap 'rm -rf "$work"' EXIT
SMALL_STEPS=1000 SMALL_RUNS=200 LARGE_STEPS=200
# The tiny case: the mission's own size (4 actors, 8 relations) in a big ensemble, where per-run
# and per-op overheads dominate (issue "run-batched speed").
TINY_STEPS=1000 TINY_RUNS="${TINY_RUNS:-20000}"
# The seed case: the bundled scenario itself (4 actors, 8 relations, 104 steps) in a 10,000-run
# ensemble (detente and the baseline only: no peer implements it).
SEED_TOML="$repo/scenarios/lithuania_belarus/baseline.toml" SEED_STEPS=104 SEED_RUNS="${SEED_RUNS:-10000}"
echo "generating networks in $work ..." >&2
python3 "$PEERS/gen_network.py" 100 4 1 > "$work/small.csv"
python3 "$PEERS/gen_network.py" 10000 8 2 > "$work/large.csv"
python3 "$PEERS/gen_network.py" 4 2 1 > "$work/tiny.csv"

echo "building detente and the Rust peers ..." >&2
(cd "$repo" && cargo build --release --quiet)
DETENTE="${CARGO_TARGET_DIR:-$repo/target}/release/detente"
TARGET="${PEERS_TARGET:-/tmp/peers-target}"
(cd "$PEERS/limit" && CARGO_TARGET_DIR="$TARGET/limit" cargo build --release --quiet)
LIMIT="$TARGET/limit/release/border-net-limit"
KRAB=""
BASE="${BASELINE:-}"
if [ -n "$BASE" ]; then
  BASE="$(cd "$(dirname "$BASE")" && pwd)/$(basename "$BASE")"
  [ -x "$BASE" ] || { echo "BASELINE=$BASELINE is not an executable" >&2; exit 2; }
fi
if [ -n "${SKIP_PEERS:-}" ]; then SKIP_KRABMAGA=1 SKIP_PYTHON=1; fi
if [ -z "${SKIP_KRABMAGA:-}" ]; then
  (cd "$PEERS/krabmaga" && CARGO_TARGET_DIR="$TARGET/krabmaga" cargo build --release --quiet) && KRAB="$TARGET/krabmaga/release/border-net-krabmaga"
fi

# detente reads the network through the ordinary scenario file, pointed at each CSV.
scenario() { # case -> path of a scenario reading $work/$case.csv
  sed "s|^path = \"border_net.csv\"|path = \"$1.csv\"|" "$repo/scenarios/bench/border_net.toml" > "$work/$1.toml"
  echo "$work/$1.toml"
}
S_TOML="$(scenario small)"
L_TOML="$(scenario large)"
T_TOML="$(scenario tiny)"

results="$work/results.tsv"
# record NAME CASE SCALE OUTPUT: pulls the final mean tension and the wall time out of OUTPUT.
record() {
  local final wall
  final="$(sed -n -e 's/^final_mean_tension=//p' -e 's/^final_tension_ltu_blr=//p' <<<"$4")"
  wall="$(sed -n -e 's/^wall_s=//p' -e 's/^run_s=//p' <<<"$4")"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$final" "$wall" >> "$results"
}
pinned() { if [ -n "$PIN" ]; then $PIN "$@"; else "$@"; fi; }

for ((i = 1; i <= REPS; i++)); do
  echo "  repetition $i/$REPS" >&2
  record "rust limit" small 1 "$(pinned "$LIMIT" "$work/small.csv" $SMALL_STEPS $SMALL_RUNS)"
  record "detente" small 1 "$(pinned "$DETENTE" bench "$S_TOML" --steps $SMALL_STEPS --runs $SMALL_RUNS --threads 1 --repeat 1)"
  record "rust limit --threads 2" small 1 "$("$LIMIT" "$work/small.csv" $SMALL_STEPS $SMALL_RUNS --threads 2)"
  record "detente --threads 2" small 1 "$("$DETENTE" bench "$S_TOML" --steps $SMALL_STEPS --runs $SMALL_RUNS --threads 2 --repeat 1)"
  record "rust limit" large 1 "$(pinned "$LIMIT" "$work/large.csv" $LARGE_STEPS 1)"
  record "detente" large 1 "$(pinned "$DETENTE" bench "$L_TOML" --steps $LARGE_STEPS --runs 1 --threads 1 --repeat 1)"
  record "rust limit" tiny 1 "$(pinned "$LIMIT" "$work/tiny.csv" $TINY_STEPS "$TINY_RUNS")"
  record "detente" tiny 1 "$(pinned "$DETENTE" bench "$T_TOML" --steps $TINY_STEPS --runs "$TINY_RUNS" --threads 1 --repeat 1)"
  record "rust limit --threads 2" tiny 1 "$("$LIMIT" "$work/tiny.csv" $TINY_STEPS "$TINY_RUNS" --threads 2)"
  record "detente --threads 2" tiny 1 "$("$DETENTE" bench "$T_TOML" --steps $TINY_STEPS --runs "$TINY_RUNS" --threads 2 --repeat 1)"
  record "detente" seed 1 "$(pinned "$DETENTE" bench "$SEED_TOML" --runs "$SEED_RUNS" --threads 1 --repeat 1)"
  if [ -n "$BASE" ]; then # the same cases, interleaved with detente's in each repetition
    record "baseline" small 1 "$(pinned "$BASE" bench "$S_TOML" --steps $SMALL_STEPS --runs $SMALL_RUNS --threads 1 --repeat 1)"
    record "baseline --threads 2" small 1 "$("$BASE" bench "$S_TOML" --steps $SMALL_STEPS --runs $SMALL_RUNS --threads 2 --repeat 1)"
    record "baseline" large 1 "$(pinned "$BASE" bench "$L_TOML" --steps $LARGE_STEPS --runs 1 --threads 1 --repeat 1)"
    record "baseline" tiny 1 "$(pinned "$BASE" bench "$T_TOML" --steps $TINY_STEPS --runs "$TINY_RUNS" --threads 1 --repeat 1)"
    record "baseline --threads 2" tiny 1 "$("$BASE" bench "$T_TOML" --steps $TINY_STEPS --runs "$TINY_RUNS" --threads 2 --repeat 1)"
    record "baseline" seed 1 "$(pinned "$BASE" bench "$SEED_TOML" --runs "$SEED_RUNS" --threads 1 --repeat 1)"
  fi
  if [ -n "$KRAB" ]; then
    record "krabmaga" small 1 "$(pinned "$KRAB" "$work/small.csv" $SMALL_STEPS $SMALL_RUNS)"
    record "krabmaga" large 1 "$(pinned "$KRAB" "$work/large.csv" $LARGE_STEPS 1)"
  fi
  if [ -z "${SKIP_PYTHON:-}" ] && [ -x "$PY" ]; then
    record "numpy" small 1 "$(pinned "$PY" "$PEERS/numpy/border_net.py" "$work/small.csv" $SMALL_STEPS $SMALL_RUNS)"
    record "numpy" large 1 "$(pinned "$PY" "$PEERS/numpy/border_net.py" "$work/large.csv" $LARGE_STEPS 1)"
    if [ "$i" = 1 ]; then # the slow ones once; small ensembles on MESA_RUNS runs, scaled
      scale="$(python3 -c "print($SMALL_RUNS/$MESA_RUNS)")"
      record "numpy, runs one at a time" small "$scale" \
        "$(pinned "$PY" "$PEERS/numpy/border_net.py" "$work/small.csv" $SMALL_STEPS "$MESA_RUNS" --per-run)"
      record "mesa" small "$scale" \
        "$(pinned "$PY" "$PEERS/mesa/border_net.py" "$work/small.csv" $SMALL_STEPS "$MESA_RUNS")"
      if [ -z "${SKIP_MESA_LARGE:-}" ]; then
        record "mesa" large 1 "$(pinned "$PY" "$PEERS/mesa/border_net.py" "$work/large.csv" $LARGE_STEPS 1)"
      fi
    fi
  fi
done

# detente's load time for the large network, as a share of its large run.
load_out="$(pinned "$DETENTE" bench "$L_TOML" --steps $LARGE_STEPS --runs 1 --repeat "$REPS")"

python3 - "$results" "$work/small.csv" "$work/large.csv" "$SMALL_STEPS" "$SMALL_RUNS" "$LARGE_STEPS" "$load_out" "$work/tiny.csv" "$TINY_STEPS" "$TINY_RUNS" "$SEED_STEPS" "$SEED_RUNS" <<'PY'
import statistics, sys
path, small, large = sys.argv[1:4]
small_steps, small_runs, large_steps = map(int, sys.argv[4:7])
load_out = dict(l.split("=", 1) for l in sys.argv[7].splitlines() if "=" in l and " " not in l)
tiny, tiny_steps, tiny_runs = sys.argv[8], int(sys.argv[9]), int(sys.argv[10])
seed_steps, seed_runs = int(sys.argv[11]), int(sys.argv[12])
edges = {c: sum(1 for _ in open(p)) - 1 for c, p in (("small", small), ("large", large), ("tiny", tiny))}
edges["seed"] = 8
work = {"small": edges["small"] * small_steps * small_runs, "large": edges["large"] * large_steps,
        "tiny": edges["tiny"] * tiny_steps * tiny_runs, "seed": edges["seed"] * seed_steps * seed_runs}
rows = {}
for line in open(path):
    name, case, scale, final, wall = line.rstrip("\n").split("\t")
    rows.setdefault((name, case), []).append((float(scale), float(final), float(wall)))
speed = {k: work[k[1]] / (statistics.median(r[2] for r in v) * v[0][0]) for k, v in rows.items()}
print(f"\n{'implementation':28s} {'case':6s} {'final mean t':>12s} {'wall s':>9s} {'edge-steps/s':>13s} {'vs limit':>9s}  reps")
order = {"small": 0, "large": 1, "tiny": 2, "seed": 3}
for (name, case), v in sorted(rows.items(), key=lambda kv: (order[kv[0][1]], -speed[kv[0]])):
    wall = statistics.median(r[2] for r in v) * v[0][0]
    final = statistics.median(r[1] for r in v)
    limit = speed.get(("rust limit", case))
    ratio = f"{speed[(name, case)] / limit:8.3f}x" if limit else f"{'-':>9s}"
    note = f"  (scaled from {small_runs / v[0][0]:g} runs)" if v[0][0] != 1 else ""
    print(f"{name:28s} {case:6s} {final:12.4f} {wall:9.3f} {speed[(name, case)]:13.3e} {ratio}  {len(v):4d}{note}")
print()
own = speed[("detente --threads 2", "small")] / speed[("detente", "small")]
lim = speed[("rust limit --threads 2", "small")] / speed[("rust limit", "small")]
print(f"2-thread speed-up on the small ensemble: detente {own:.2f}x, limit {lim:.2f}x")
own = speed[("detente --threads 2", "tiny")] / speed[("detente", "tiny")]
lim = speed[("rust limit --threads 2", "tiny")] / speed[("rust limit", "tiny")]
print(f"2-thread speed-up on the tiny ensemble: detente {own:.2f}x, limit {lim:.2f}x")
large_run = statistics.median(r[2] for r in rows[("detente", "large")])
print(f"detente load of the {edges['large']:,}-relation scenario: {float(load_out['load_s']):.4f} s = "
      f"{100 * float(load_out['load_s']) / large_run:.1f}% of its large run ({large_run:.4f} s)")
if ("baseline", "small") in rows:
    print("A/B, this detente against BASELINE (medians; > 1 means this one is faster):")
    for name, case in (("detente", "small"), ("detente --threads 2", "small"), ("detente", "large"),
                       ("detente", "tiny"), ("detente --threads 2", "tiny"), ("detente", "seed")):
        base = name.replace("detente", "baseline")
        print(f"  {name:22s} {case:6s} {speed[(name, case)] / speed[(base, case)]:.3f}x")
for case in ("small", "large", "tiny", "seed"):
    fs = [statistics.median(r[1] for r in v) for (n, c), v in rows.items() if c == case]
    print(f"agreement {case}: final mean tension spread {max(fs) - min(fs):.4f}")
PY

if [ -n "${MEMORY:-}" ] || [ -n "${HUGE:-}" ]; then
  rss() { # scenario -> peak RSS in KiB of a 1-step run
    /usr/bin/time -f "%M" "$DETENTE" run "$1" --steps 1 -q 2>&1 >/dev/null | tail -n 1
  }
  python3 "$PEERS/gen_network.py" 100000 8 3 > "$work/mid.csv"
  M_TOML="$(scenario mid)"
  a="$(rss "$L_TOML")"; b="$(rss "$M_TOML")"
  echo "peak RSS: 80,000 relations $((a / 1024)) MiB; 800,000 relations $((b / 1024)) MiB;" \
    "slope $(python3 -c "print(round(($b - $a) * 1024 / 720000, 1))") bytes per relation"
fi
if [ -n "${HUGE:-}" ]; then
  echo "generating 1,000,000 actors x 8 relations ..." >&2
  python3 "$PEERS/gen_network.py" 1000000 8 4 > "$work/huge.csv"
  H_TOML="$(scenario huge)"
  /usr/bin/time -f "wall %e s, peak RSS %M KiB" "$DETENTE" bench "$H_TOML" --steps 10 --repeat 1 2>&1 | grep -E "load_s|run_s|edge_steps|wall"
fi
