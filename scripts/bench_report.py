"""Write reports/bench.md from one benchmark run: notebook times and the figures the notebooks logged.

`make bench` runs every notebook (small-data flag on) and then this script, which reads
build/notebook-times.md and .json (the small-data runs), site/pages.json (the last site build's full-data
times), build/test-run.json (the last whole `make test`) and the latest measurement runs in the course's
MLflow store.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from includes import settings  # noqa: E402
from includes.setup.paths import work_root  # noqa: E402
from includes.setup.tracking import configure_tracking  # noqa: E402

# The notebooks tag each measurement run with `bench`; the report finds them by that tag in any experiment,
# so renaming a notebook, its experiment or a run does not lose a figure.
BENCH_TAG = "bench"


def latest(mlflow, bench: str, filter_string: str = "") -> dict:
    """The newest run tagged ``bench=<bench>`` (plus ``filter_string``), as a flat dict; {} when there is none."""
    wanted = f"tags.{BENCH_TAG} = '{bench}'" + (f" and {filter_string}" if filter_string else "")
    runs = mlflow.search_runs(
        search_all_experiments=True, filter_string=wanted, order_by=["attributes.start_time DESC"], max_results=1
    )
    return runs.iloc[0].to_dict() if len(runs) else {}


def install_times() -> dict[str, dict]:
    """The latest setup of each kind that scripts/time_install.sh (or any setup) logged."""
    log = ROOT / "build" / "install-times.jsonl"
    latest_by_label: dict[str, dict] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        entry = json.loads(line)
        latest_by_label[entry["label"]] = entry
    return latest_by_label


def udf_measurement(home: Path) -> dict:
    """What 06.2 wrote after timing its pandas UDF against a direct predict loop."""
    found = sorted(work_root(home).glob("*/udf_vs_direct.json"))
    return json.loads(found[-1].read_text()) if found else {}


# Issue 17's starting point, commit 4531174, measured on a 2-core machine: its full-data site build's five
# slowest notebooks and the README's test command after setup. The targets are relative to these; a fair
# comparison measures both commits back to back on one machine (`scripts/bench_compare.sh` does).
BASELINE_COMMIT = "4531174"
BASELINE_FULL_DATA_S = {
    "notebooks/07_transfer_learning/07.1_transfer_learning.ipynb": 748,
    "notebooks/07_transfer_learning/solutions/07.2L_transfer_learning_lab.ipynb": 674,
    "notebooks/08_gans/08.1_gan.ipynb": 590,
    "notebooks/08_gans/solutions/08.1L_gan_lab.ipynb": 579,
    "notebooks/03_hyperopt/03.1_hyperopt.ipynb": 401,
}
BASELINE_TEST_COMMAND_S = 953
FULL_DATA_LIMIT_S = 300  # a live class can wait this long for a demo on 2 cores
FULL_DATA_SPEEDUP = 2.5  # the five slowest, against the baseline
TEST_COMMAND_SHARE = 0.6  # of the baseline's test command
# Issue 19: the setup from nothing, and a new clone's setup with warm caches, against the baseline's setup from
# nothing (both measured by `scripts/bench_compare.sh setup`).
SETUP_FROM_NOTHING = "setup from nothing"
SETUP_SHARE = {SETUP_FROM_NOTHING: 0.65, "setup, warm caches": 0.15}


def read_json(path: Path, default):
    return json.loads(path.read_text()) if path.exists() else default


def read_site_pages(path: Path) -> dict[str, dict]:
    """The site build's record of each page, by the notebook's path from the repository's root (as the test
    runs name it): site/pages.json names it from the notebooks folder (scripts/build_site.py)."""
    return {f"notebooks/{entry['notebook']}": entry for entry in read_json(path, [])}


def full_vs_small_rows(site_pages: dict, small_runs: list[dict]) -> list[str]:
    """One row per notebook: its full-data time from the site build beside its small-data runs, and the
    targets (every full-data run within FULL_DATA_LIMIT_S; the baseline's five slowest FULL_DATA_SPEEDUP
    times faster)."""
    small = {run["notebook"]: run for run in small_runs if run["mode"] == "twice"}
    rows = [
        "| notebook | full data s | target s | small: first run s | second run s | fixed cost s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in sorted(set(small) | {name for name, page in site_pages.items() if page.get("data") == "full"}):
        page, runs = site_pages.get(name, {}), small.get(name, {})
        full = page.get("seconds") if page.get("data") == "full" else None
        target = FULL_DATA_LIMIT_S
        if name in BASELINE_FULL_DATA_S:
            target = min(target, BASELINE_FULL_DATA_S[name] / FULL_DATA_SPEEDUP)
        met = "" if full is None else (" ✔" if full <= target else " ✘")
        first, second = (runs.get("runs_s", []) + [None, None])[:2]
        baseline = f" (was {BASELINE_FULL_DATA_S[name]})" if name in BASELINE_FULL_DATA_S else ""
        rows.append(
            f"| {name.removeprefix('notebooks/')} | {fmt(full, 0)}{met}{baseline} | ≤ {target:.0f} | {fmt(first)} "
            f"| {fmt(second)} | {fmt(runs.get('fixed_s'))} |"
        )
    return rows


def back_to_back_rows(results_file: Path) -> list[str]:
    """The latest baseline-vs-newer pair of each measurement scripts/bench_compare.sh made, with the ratio
    and its target; [] when it has not been run."""
    if not results_file.exists():
        return []
    latest_pair: dict[str, dict[str, dict]] = {}
    for line in results_file.read_text().splitlines():
        entry = json.loads(line)
        side = "baseline" if BASELINE_COMMIT.startswith(entry["commit"][:7]) else "new"
        latest_pair.setdefault(entry["what"], {})[side] = entry
    rows = [
        f"| measurement | {BASELINE_COMMIT} s | new s (commit) | new / old | target | date |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for what, pair in sorted(latest_pair.items()):
        old, new = pair.get("baseline", {}), pair.get("new", {})
        # Both setup targets are shares of the baseline's setup from nothing.
        reference = latest_pair.get(SETUP_FROM_NOTHING, {}).get("baseline", {}) if what in SETUP_SHARE else old
        ratio = new["seconds"] / reference["seconds"] if reference.get("seconds") and new.get("seconds") else None
        if what in SETUP_SHARE:
            target = f"≤ {SETUP_SHARE[what]} of {BASELINE_COMMIT}'s setup from nothing"
        else:
            target = f"≤ {TEST_COMMAND_SHARE}" if what == "make test" else f"≤ {1 / FULL_DATA_SPEEDUP:.2f}"
        failed = " (failed)" if old.get("exit") or new.get("exit") else ""
        rows.append(
            f"| {what.removeprefix('full data: notebooks/')} | {fmt(old.get('seconds'), 0)} "
            f"| {fmt(new.get('seconds'), 0)} ({new.get('commit', '?')}) | {fmt(ratio, 2)}{failed} | {target} "
            f"| {new.get('date', '')[:10]} |"
        )
    return rows


def fmt(value, digits=1) -> str:
    return "not measured" if value is None or value != value else f"{value:,.{digits}f}"


def main() -> None:
    home = settings.home_override() or settings.TEST_HOME  # make bench runs the notebooks as the tests do
    configure_tracking(home)
    import mlflow

    petastorm = latest(mlflow, "petastorm_vs_numpy")
    horovod = {workers: latest(mlflow, "horovod", f"params.workers = '{workers}'") for workers in (1, 2)}
    torch = latest(mlflow, "torch_distributor")
    single = latest(mlflow, "single_process")
    times = (ROOT / "build" / "notebook-times.md").read_text()
    site_pages = read_site_pages(ROOT / "site" / "pages.json")
    small_runs = read_json(ROOT / "build" / "notebook-times.json", [])
    test_run = read_json(ROOT / "build" / "test-run.json", {})
    fixed = sorted(run["fixed_s"] for run in small_runs if run.get("fixed_s") is not None)
    test_target = BASELINE_TEST_COMMAND_S * TEST_COMMAND_SHARE
    lines = [
        "# Benchmark report",
        "",
        f"Written by `scripts/bench_report.py` (the last step of `make bench`) on {datetime.date.today()}, "
        f"from the latest notebook run on {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}), no GPU.",
        "",
        "## The test command and each notebook's time, full data and small",
        "",
        f"`make test` (the README's test command, after setup): {fmt(test_run.get('seconds'), 0)} s on "
        f"{test_run.get('date', 'no date')} ({test_run.get('tests', '?')} tests, "
        f"{'passed' if test_run.get('passed') else 'not passed'}); target ≤ {test_target:.0f} s "
        f"({TEST_COMMAND_SHARE} × {BASELINE_COMMIT}'s {BASELINE_TEST_COMMAND_S} s). Per-notebook fixed cost "
        f"(process, kernel, imports and `setup_course`): median {fmt(fixed[len(fixed) // 2] if fixed else None)} s, "
        f"{len(fixed)} notebooks.",
        "",
        "Full data: the last site build (`make site`, site/pages.json). Small data: the last test run's lanes "
        "(each demo and solution runs twice from the top in one kernel).",
        "",
        *full_vs_small_rows(site_pages, small_runs),
        "",
        "### Back to back with the baseline (`scripts/bench_compare.sh`)",
        "",
        *(
            back_to_back_rows(ROOT / "build" / "compare" / "results.jsonl")
            or ["Not measured yet: run `scripts/bench_compare.sh` (about 1.5 hours on 2 cores)."]
        ),
        "",
        "### Every run of the last small-data test run",
        "",
        times.strip(),
        "",
        "## Petastorm vs in-memory NumPy (04.1, same model and batches)",
        "",
        "| pipeline | first epoch, s | samples/s after it |",
        "|---|---:|---:|",
        f"| Petastorm `make_tf_dataset` | {fmt(petastorm.get('metrics.petastorm_first_epoch_s'), 2)} "
        f"| {fmt(petastorm.get('metrics.petastorm_samples_per_s'), 0)} |",
        f"| NumPy arrays in memory | {fmt(petastorm.get('metrics.numpy_first_epoch_s'), 2)} "
        f"| {fmt(petastorm.get('metrics.numpy_samples_per_s'), 0)} |",
        f"| **ratio** (target ≥ 0.8) | | {fmt(petastorm.get('metrics.petastorm_over_numpy'), 2)} |",
        "",
        f"Measured on {petastorm.get('params.rows', '?')} rows, {petastorm.get('params.epochs', '?')} epochs; "
        "the rate counts the epochs after the first, which also traces the model and starts the readers.",
        "",
        "## 1 vs 2 workers (04.2, 04.3)",
        "",
        "| way | training s | wall-clock s (with start-up) |",
        "|---|---:|---:|",
        f"| Keras `fit`, single process | {fmt(single.get('metrics.training_seconds'))} | "
        f"{fmt(single.get('metrics.wall_seconds'))} |",
    ]
    for workers, run in horovod.items():
        lines.append(
            f"| Horovod on Spark, {workers} worker(s) | {fmt(run.get('metrics.training_seconds'))} | "
            f"{fmt(run.get('metrics.wall_seconds'))} |"
        )
    lines.append(
        f"| TorchDistributor, 2 processes | {fmt(torch.get('metrics.training_seconds'))} | "
        f"{fmt(torch.get('metrics.wall_seconds'))} |"
    )
    lines += ["", "Two workers on two cores cannot be faster than one process; see 04.2 and 04.3 for why.", ""]
    udf = udf_measurement(home)
    lines += [
        "## Spark pandas UDF vs direct `predict` (06.2, same images and model)",
        "",
        "| way | images/s |",
        "|---|---:|",
        f"| iterator pandas UDF on Spark (`local[2]`) | {fmt(udf.get('udf_rows_per_s'))} |",
        f"| `predict_on_batch` loop in the notebook | {fmt(udf.get('direct_rows_per_s'))} |",
        f"| **ratio** (target ≥ 0.8) | {fmt(udf.get('ratio'), 2)} |",
        "",
        f"Measured on {udf.get('rows', '?')} images, batches of {udf.get('batch_size', '?')}, "
        f"{udf.get('partitions', '?')} partitions, weights: {udf.get('weights', '?')}.",
        "",
    ]
    spark_bench = read_json(ROOT / "build" / "spark-bench.json", {})
    local, cluster = spark_bench.get("local", {}), spark_bench.get("cluster", {})

    def udf(run):
        return run.get("udf_inference", {}).get("images_per_s")

    def trials(run):
        return run.get("spark_trials", {}).get("seconds")

    lines += [
        "## Spark on `local[2]` and on a 2-worker standalone cluster (`make bench-cluster`)",
        "",
        f"Measured {spark_bench.get('date', 'never (run `make bench-cluster`)')}, one after the other on this "
        "machine (scripts/bench_spark.py): the cluster is one master and two workers of 1 core each "
        "(scripts/spark_cluster.py).",
        "",
        "| measurement | `local[2]` | standalone cluster |",
        "|---|---:|---:|",
        f"| pandas UDF inference, images/s (a Keras CNN, 28×28 images) | {fmt(udf(local))} | {fmt(udf(cluster))} |",
        f"| SparkTrials, 8 trials 2 at a time, s | {fmt(trials(local))} | {fmt(trials(cluster))} |",
        "",
        "On one 2-core machine the cluster cannot be faster: its executors are separate JVMs and Python processes "
        "that load TensorFlow and the model themselves, and the driver ships tasks over the network stack.",
        "",
    ]
    installs = install_times()
    lines += [
        "## Installing the course (`scripts/setup.sh` in a fresh clone)",
        "",
        "Against the baseline, back to back: the table above (`scripts/bench_compare.sh setup`). This commit "
        "alone, the latest `scripts/time_install.sh` (part of `make bench`):",
        "",
        "| setup | date | total s | of which Horovod s |",
        "|---|---|---:|---:|",
    ]
    for label in ("from nothing", "warm caches"):
        run = installs.get(label, {})
        lines.append(
            f"| {label} | {run.get('date', '')[:10] or 'not measured'} | {fmt(run.get('seconds'), 0)} | "
            f"{fmt(run.get('horovod_seconds'), 0)} |"
        )
    lines += [
        "",
        "From nothing: an empty venv and empty caches (pip's, uv's, the course's), so every package is "
        "downloaded, Horovod and the packages' bytecode are compiled. Warm caches: a second fresh clone, with the "
        "caches the first run filled (uv installs from its cache; the Horovod wheel built for this TensorFlow and "
        "the compiled bytecode are linked in).",
        "",
    ]
    out = ROOT / "reports" / "bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"Wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
