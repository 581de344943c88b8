"""Write reports/bench.md from one benchmark run: notebook times and the figures the notebooks logged.

`make bench` runs every notebook (small-data flag on) and then this script, which reads
build/notebook-times.md and the latest measurement runs in the course's MLflow store.
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
    lines = [
        "# Benchmark report",
        "",
        f"Written by `scripts/bench_report.py` (the last step of `make bench`) on {datetime.date.today()}, "
        f"from the latest notebook run on {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}), no GPU.",
        "",
        "## Notebook times",
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
    installs = install_times()
    lines += [
        "## Installing the course (`scripts/setup.sh` in a fresh clone)",
        "",
        "| setup (date) | total s | of which Horovod s |",
        "|---|---:|---:|",
    ]
    for label in ("from nothing", "warm caches"):
        run = installs.get(label, {})
        lines.append(
            f"| {label} ({run.get('date', 'not measured')[:10]}) | {fmt(run.get('seconds'), 0)} | "
            f"{fmt(run.get('horovod_seconds'), 0)} |"
        )
    lines += [
        "",
        "From nothing: an empty venv and empty caches (pip's, uv's, the course's), so every package is "
        "downloaded and Horovod is compiled. Warm caches: a second fresh clone, with the caches the first run "
        "filled (uv installs from its cache; the Horovod wheel built for this TensorFlow is reused).",
        "",
    ]
    out = ROOT / "reports" / "bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"Wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
