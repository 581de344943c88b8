"""The bench report's speed tables (scripts/bench_report.py): full-data times beside small-data runs with their
targets, and the back-to-back comparison with the baseline commit."""

from __future__ import annotations

import importlib.util
import json

from includes import settings

spec = importlib.util.spec_from_file_location("bench_report", settings.REPO_ROOT / "scripts" / "bench_report.py")
bench_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_report)

SLOW = "notebooks/07_transfer_learning/07.1_transfer_learning.ipynb"  # one of the baseline's five slowest
OTHER = "notebooks/01_keras/01.2_keras.ipynb"


def row_of(rows: list[str], name: str) -> str:
    return next(row for row in rows if row.startswith(f"| {name.removeprefix('notebooks/')} "))


def test_a_baseline_notebook_must_be_two_and_a_half_times_faster_and_others_within_the_limit():
    pages = {SLOW: {"data": "full", "seconds": 310.0}, OTHER: {"data": "full", "seconds": 180.0}}
    runs = [
        {"notebook": SLOW, "mode": "twice", "runs_s": [30.0, 12.0], "fixed_s": 9.0},
        {"notebook": OTHER, "mode": "twice", "runs_s": [10.0, 2.0], "fixed_s": 8.0},
    ]
    rows = bench_report.full_vs_small_rows(pages, runs)
    slow = row_of(rows, SLOW)
    assert "310 ✘ (was 748)" in slow and "≤ 299" in slow  # 748 / 2.5
    assert "| 30.0 | 12.0 | 9.0 |" in slow
    assert "180 ✔" in row_of(rows, OTHER) and "≤ 300" in row_of(rows, OTHER)


def test_the_site_builds_pages_meet_the_test_runs_notebooks_in_one_row(tmp_path):
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps([{"notebook": SLOW.removeprefix("notebooks/"), "data": "full", "seconds": 135.0}]))
    runs = [{"notebook": SLOW, "mode": "twice", "runs_s": [30.0, 12.0], "fixed_s": 9.0}]
    rows = bench_report.full_vs_small_rows(bench_report.read_site_pages(pages), runs)
    assert len(rows) == 3 and "135 ✔ (was 748)" in row_of(rows, SLOW) and "| 30.0 | 12.0 | 9.0 |" in row_of(rows, SLOW)


def test_a_notebook_built_with_small_data_has_no_full_data_time():
    runs = [{"notebook": OTHER, "mode": "twice", "runs_s": [10.0, 2.0], "fixed_s": 8.0}]
    rows = bench_report.full_vs_small_rows({OTHER: {"data": "small", "seconds": 20.0}}, runs)
    assert "not measured" in row_of(rows, OTHER)


def back_to_back_rows_of(tmp_path, *measurements: tuple[str, str, str, int]) -> list[str]:
    """The report's rows for scripts/bench_compare.sh results given as (time, commit, what, seconds)."""
    results = tmp_path / "results.jsonl"
    results.write_text(
        "".join(
            json.dumps({"date": f"2026-11-29T{time}Z", "commit": commit, "what": what, "seconds": seconds, "exit": 0})
            + "\n"
            for time, commit, what, seconds in measurements
        )
    )
    return bench_report.back_to_back_rows(results)


def test_back_to_back_pairs_the_latest_of_each_side(tmp_path):
    rows = back_to_back_rows_of(
        tmp_path,
        ("10:00:00", "4531174", "make test", 1000),
        ("11:00:00", "abcdef1", "make test", 900),
        ("12:00:00", "abcdef2", "make test", 500),
    )
    assert rows[2] == "| make test | 1,000 | 500 (abcdef2) | 0.50 | ≤ 0.6 | 2026-11-29 |"
    assert bench_report.back_to_back_rows(tmp_path / "missing.jsonl") == []


def test_both_setup_targets_are_shares_of_the_baselines_setup_from_nothing(tmp_path):
    rows = back_to_back_rows_of(
        tmp_path,
        ("10:00:00", "4531174", "setup from nothing", 200),
        ("10:05:00", "4531174", "setup, warm caches", 100),
        ("10:10:00", "abcdef1", "setup from nothing", 120),
        ("10:15:00", "abcdef1", "setup, warm caches", 20),
    )
    assert rows[2] == (
        "| setup from nothing | 200 | 120 (abcdef1) | 0.60 | ≤ 0.65 of 4531174's setup from nothing | 2026-11-29 |"
    )
    assert rows[3] == (
        "| setup, warm caches | 100 | 20 (abcdef1) | 0.10 | ≤ 0.15 of 4531174's setup from nothing | 2026-11-29 |"
    )
