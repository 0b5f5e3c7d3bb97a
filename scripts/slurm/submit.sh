#!/usr/bin/env bash
# Submits a sharded detente ensemble: a job array of SHARDS tasks (ensemble.sbatch) and a merge
# job (merge.sbatch) that starts once every task has succeeded (cancelled if one fails).
#
#   SCENARIO=scenarios/lithuania_belarus/baseline.toml RUNS=100000 SHARDS=16 \
#     scripts/slurm/submit.sh [SBATCH_OPTION...]
#
# SBATCH_OPTIONs (e.g. --partition=short --time=1:00:00) go to both jobs. Environment as in
# ensemble.sbatch and merge.sbatch: SCENARIO, RUNS, SHARDS (default 16), DETENTE, SEED, PARTS,
# REPORT, THREADS, EXTRA_ARGS. Job logs go to PARTS/. Prints the two job ids: ARRAY MERGE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SCENARIO:?set SCENARIO to the scenario file}"
: "${RUNS:?set RUNS to the number of runs of the whole ensemble}"
export SCENARIO RUNS SHARDS=${SHARDS:-16} PARTS=${PARTS:-parts}
mkdir -p "$PARTS"

array=$(sbatch --parsable --array=1-"$SHARDS" --output="$PARTS/shard-%a.out" "$@" "$here/ensemble.sbatch")
array=${array%%;*} # --parsable prints JOBID or JOBID;CLUSTER
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  --output="$PARTS/merge.out" "$@" "$here/merge.sbatch")
echo "${array} ${merge%%;*}"
