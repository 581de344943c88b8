#!/usr/bin/env bash
# Time the course's setup twice in a throw-away clone, the way learners meet it:
#   1. from nothing: an empty venv and empty caches (pip's, uv's, uv itself and the course's Horovod wheel
#      cache: everything downloaded, Horovod compiled);
#   2. a second clone with the caches run 1 filled (uv installs from its cache, the Horovod wheel is reused).
# Each run appends one line to build/install-times.jsonl; scripts/bench_report.py reads them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone --quiet "$root" "$scratch/course"
# Caches of its own, so the first run really starts empty.
export PIP_CACHE_DIR="$scratch/pip-cache" UV_CACHE_DIR="$scratch/uv-cache" COURSE_TOOL_CACHE="$scratch/course-cache"
cd "$scratch/course"
echo "==> Setup from nothing (empty caches: downloads everything and compiles Horovod)"
COURSE_INSTALL_LABEL="from nothing" bash scripts/setup.sh
echo "==> Setup of a second clone, with the caches the first run filled"
git clone --quiet "$root" "$scratch/second"
cd "$scratch/second"
COURSE_INSTALL_LABEL="warm caches" bash scripts/setup.sh
mkdir -p "$root/build"
cat "$scratch/course/build/install-times.jsonl" build/install-times.jsonl >> "$root/build/install-times.jsonl"
