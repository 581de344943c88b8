#!/usr/bin/env bash
# Old against new, back to back on this machine (issues 17 and 19): the README's test command after setup, the
# full-data time of the notebooks that were slowest at the baseline, and the setup itself. Machines like this
# one are noisy, so the two commits are measured one right after the other, never against a figure from
# another day.
#
#   scripts/bench_compare.sh [tests|notebooks|setup|all] [BASELINE]     (default: all, 4531174)
#
# `setup`: each commit's `make setup` in a new clone with empty caches of its own (pip's, uv's, the course's:
# everything downloaded, Horovod compiled), then in a second new clone with the caches the first one filled.
# About 15 minutes. `all` is tests and notebooks.
#
# Each commit is cloned into build/compare/<commit> from this repository, set up with its own `make setup`
# (not timed), then timed. Results are appended to build/compare/results.jsonl; scripts/bench_report.py
# puts the latest pair of each measurement in reports/bench.md. Takes about 25 minutes for `tests` and
# about an hour for `notebooks` on 2 cores. Offline, set COURSE_DATA_MIRROR as for `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The baseline commit and its five slowest full-data notebooks (issue 17) come from scripts/bench_report.py,
# which sets their targets; the same files exist at both commits.
baseline_value() {  # a Python expression over `report`, the names scripts/bench_report.py defines
  .venv/bin/python -c "import runpy; report = runpy.run_path('scripts/bench_report.py'); print($1)"
}
WHAT=${1:-all}
BASELINE=${2:-$(baseline_value "report['BASELINE_COMMIT']")}
OUT=build/compare
RESULTS=$OUT/results.jsonl
NOTEBOOKS=()
while IFS= read -r notebook; do NOTEBOOKS+=("$notebook"); done \
  < <(baseline_value "'\\n'.join(report['BASELINE_FULL_DATA_S'])")
case $WHAT in tests|notebooks|setup|all) ;; *) echo "Say what to compare: tests, notebooks, setup or all." >&2; exit 2 ;; esac

record() {  # commit, measurement, seconds, exit code
  printf '{"date": "%s", "commit": "%s", "what": "%s", "seconds": %s, "exit": %s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$3" "$4" >> "$RESULTS"
  echo "  $1 $2: $3 s (exit $4)"
}

prepare() {  # commit -> a set-up clone in build/compare/<commit>
  local commit=$1 dir=$OUT/$1
  if [ ! -d "$dir/.git" ]; then
    git clone -q --no-checkout . "$dir"
    git -C "$dir" checkout -q "$commit"
  fi
  [ -e "$dir/../shared" ] || [ ! -d ../shared ] || ln -s "$(cd ../shared && pwd)" "$OUT/shared"
  (cd "$dir" && make setup > setup.log 2>&1) || { echo "make setup failed in $dir (see $dir/setup.log)" >&2; exit 1; }
}

timed() {  # commit, measurement, command...: run it in the commit's clone and record its time
  local commit=$1 what=$2 started code=0
  shift 2
  started=$(date +%s)
  (cd "$OUT/$commit" && "$@") > "$OUT/$commit/$(echo "$what" | tr '/ ' '__').log" 2>&1 || code=$?
  record "$commit" "$what" $(( $(date +%s) - started )) "$code"
}

time_setups() {  # commit: `make setup` from nothing, then with warm caches, each in a new clone
  local commit=$1 scratch clone label started code
  scratch=$(mktemp -d)
  for what in "setup from nothing" "setup, warm caches"; do
    label=$(echo "$what" | tr -d ',' | tr ' ' '_')
    clone="$scratch/$label"
    git clone -q --no-checkout . "$clone" && git -C "$clone" checkout -q "$commit"
    started=$(date +%s) code=0
    (cd "$clone" && env PIP_CACHE_DIR="$scratch/pip" UV_CACHE_DIR="$scratch/uv" COURSE_TOOL_CACHE="$scratch/course" \
      make setup) > "$OUT/$commit-$label.log" 2>&1 || code=$?
    record "$commit" "$what" $(( $(date +%s) - started )) "$code"
  done
  rm -rf "$scratch"
}

mkdir -p "$OUT"
head=$(git rev-parse --short HEAD)
base=$(git rev-parse --short "$BASELINE")
if [ "$WHAT" = setup ]; then
  for commit in "$base" "$head"; do echo "==> $commit"; time_setups "$commit"; done
  echo "Results: $RESULTS (scripts/bench_report.py shows the latest of each)."
  exit 0
fi
for commit in "$base" "$head"; do
  echo "==> $commit"
  prepare "$commit"
  if [ "$WHAT" != notebooks ]; then
    timed "$commit" "make test" make test
  fi
  if [ "$WHAT" != tests ]; then
    for notebook in "${NOTEBOOKS[@]}"; do
      timed "$commit" "full data: $notebook" env COURSE_SMALL_DATA=0 COURSE_TEST_RUN=1 COURSE_HOME="$PWD/$OUT/$commit/.course-compare" \
        .venv/bin/python -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=3600 \
        --output-dir "$PWD/$OUT/$commit/executed" "$notebook"
    done
  fi
done
echo "Results: $RESULTS (scripts/bench_report.py shows the latest of each)."
