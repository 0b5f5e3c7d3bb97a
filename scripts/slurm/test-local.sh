#!/usr/bin/env bash
# The Slurm recipe end to end on this one machine (not run in CI; needs root): installs Debian's
# slurm-wlm and munge if missing, starts munged, slurmctld and slurmd for a one-node cluster
# whose key, config, state, spool and logs all live in a temporary folder (not /etc), submits
# SHARDS shards of SCENARIO with submit.sh, waits for the array and the merge job, and compares
# the merged report byte for byte with the unsharded `detente run`. Prints PASS or FAIL; exits
# non-zero on failure. The daemons are stopped on exit (jobs still queued are cancelled first),
# and the folder removed unless the test failed (it is kept for its logs) or KEEP=1.
#
# Usage: scripts/slurm/test-local.sh
# Environment: DETENTE (default: `cargo build --release`, then its detente), SCENARIO (default:
# scenarios/lithuania_belarus/baseline.toml), RUNS (default 3001: shards of unequal size),
# SHARDS (default 3), SEED (optional), PORT (slurmctld's, default 16817; slurmd uses PORT+1),
# TIMEOUT (seconds to wait for the jobs, default 600), KEEP=1 (keep the folder).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
SCENARIO=${SCENARIO:-$repo/scenarios/lithuania_belarus/baseline.toml}
RUNS=${RUNS:-3001}
SHARDS=${SHARDS:-3}
PORT=${PORT:-16817}
TIMEOUT=${TIMEOUT:-600}
say() { echo "test-local: $*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "needs root (slurmd runs jobs as their user; SlurmUser=root)"; exit 2; }
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

if [ -z "${DETENTE:-}" ]; then
  (cd "$repo" && cargo build --release --quiet --bin detente)
  target=${CARGO_TARGET_DIR:-target}
  case $target in /*) ;; *) target=$repo/$target ;; esac
  DETENTE=$target/release/detente
fi
case $DETENTE in */*) DETENTE=$(realpath "$DETENTE") ;; *) DETENTE=$(command -v "$DETENTE") ;; esac
SCENARIO=$(realpath "$SCENARIO")

# munged refuses a socket whose folders are not searchable by all: mktemp's 0700 is made 0755.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/detente-slurm.XXXXXX")
chmod 755 "$tmp"
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/work"
pids=() jobs=() why=
fail() { why=$1; exit 1; }
cleanup() {
  local rc=$?
  if [ ${#jobs[@]} -gt 0 ]; then
    scancel "${jobs[@]}" 2>/dev/null || true
    for _ in $(seq 20); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  # slurmd, then slurmctld, then munged: the reverse of their start.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.25; done
    kill -9 "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" != 1 ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ]; }; then
    rm -rf "$tmp"
  else
    say "files kept in $tmp"
  fi
  [ "$rc" -ne 130 ] || why=interrupted
  [ "$rc" -eq 0 ] || echo "FAIL: ${why:-exit status $rc}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mungekey --create --keyfile="$tmp/munge/munge.key"
munged -F --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" \
  --log-file="$tmp/log/munged.log" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 40); do [ -S "$tmp/munge/munge.socket" ] && break; sleep 0.25; done
munge -S "$tmp/munge/munge.socket" -n | unmunge -S "$tmp/munge/munge.socket" >/dev/null ||
  { cat "$tmp/log/munged.out" >&2; fail "munged did not start"; }

# One node, named localhost whatever the host is called (slurmd -N), with the machine's CPUs.
# No cgroups (proctrack/linuxproc, task/none), no accounting, no mail.
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=detente-test
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 60); do
  state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
if [ "$state" != idle ]; then
  tail -n 20 "$tmp/log/slurmctld.out" "$tmp/log/slurmd.out" >&2
  fail "the node is not idle after 60 s (state: ${state:-none})"
fi
say "cluster up: $(sinfo -h -o '%P %a %D %t %N %c')"

# The recipe itself, as a user would run it (one CPU a task, so the machine runs some shards
# side by side and the rest after).
cd "$tmp/work"
read -r array merge < <(SCENARIO=$SCENARIO RUNS=$RUNS SHARDS=$SHARDS PARTS=$tmp/work/parts \
  REPORT=$tmp/work/report.json DETENTE=$DETENTE "$repo/scripts/slurm/submit.sh" --cpus-per-task=1)
jobs=("$array" "$merge")
say "submitted array job $array ($SHARDS tasks) and merge job $merge"
deadline=$((SECONDS + TIMEOUT))
while [ -n "$(squeue -h -j "$array,$merge" -o %i 2>/dev/null)" ]; do
  [ $SECONDS -lt $deadline ] || { squeue >&2; fail "jobs not done after $TIMEOUT s"; }
  sleep 2
done

# Every task and the merge COMPLETED with exit code 0, and the merge started after the last
# task ended (times in one format: they compare as strings).
fail=0
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
tasks=$(scontrol -o show job "$array")
[ "$(grep -c . <<<"$tasks")" -eq "$SHARDS" ] || { echo "$tasks" >&2; fail "expected $SHARDS array tasks"; }
last_end=
while read -r line; do
  id=$(field ArrayTaskId <<<"$line") st=$(field JobState <<<"$line") ec=$(field ExitCode <<<"$line")
  end=$(field EndTime <<<"$line")
  say "shard $id: $st exit $ec, $(field StartTime <<<"$line") .. $end"
  [ "$st" = COMPLETED ] && [ "$ec" = 0:0 ] || fail=1
  [[ $end > $last_end ]] && last_end=$end
done <<<"$tasks"
m=$(scontrol -o show job "$merge")
st=$(field JobState <<<"$m") ec=$(field ExitCode <<<"$m") start=$(field StartTime <<<"$m")
say "merge: $st exit $ec, $start .. $(field EndTime <<<"$m")"
[ "$st" = COMPLETED ] && [ "$ec" = 0:0 ] || fail=1
[[ $start < $last_end ]] && fail "the merge started before the last shard ended"
if [ "$fail" -ne 0 ]; then
  for f in parts/*.out; do say "$f:"; cat "$f" >&2; done
  fail "a job did not complete"
fi

# The same ensemble in one piece.
"$DETENTE" run "$SCENARIO" --runs "$RUNS" ${SEED:+--seed "$SEED"} -q -o "$tmp/work/unsharded.json"
cmp "$tmp/work/report.json" "$tmp/work/unsharded.json" || fail "the merged report differs from the unsharded one"
echo "PASS: $SHARDS shards of $RUNS runs of $(basename "$SCENARIO") merged under Slurm = the unsharded report ($(wc -c <report.json) bytes)"
