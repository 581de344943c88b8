#!/usr/bin/env bash
# Time the course's setup twice in a throw-away clone, the way learners meet it:
#   1. from nothing: an empty venv and an empty pip cache (everything downloaded, Horovod compiled);
#   2. again from an empty venv, with the pip cache that run 1 filled (Horovod's wheel is reused).
# Each run appends one line to build/install-times.jsonl; scripts/bench_report.py reads them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone --quiet "$root" "$scratch/course"
export PIP_CACHE_DIR="$scratch/pip-cache"   # a cache of its own: the first run really starts empty
cd "$scratch/course"
echo "==> Setup from nothing (empty pip cache: downloads everything and compiles Horovod)"
COURSE_INSTALL_LABEL="from nothing" bash scripts/setup.sh
echo "==> Setup again from an empty venv, with the cached Horovod wheel"
rm -rf .venv
COURSE_INSTALL_LABEL="cached Horovod wheel" bash scripts/setup.sh
mkdir -p "$root/build"
cat build/install-times.jsonl >> "$root/build/install-times.jsonl"
