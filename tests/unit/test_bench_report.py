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


def test_a_notebook_built_with_small_data_has_no_full_data_time():
    runs = [{"notebook": OTHER, "mode": "twice", "runs_s": [10.0, 2.0], "fixed_s": 8.0}]
    rows = bench_report.full_vs_small_rows({OTHER: {"data": "small", "seconds": 20.0}}, runs)
    assert "not measured" in row_of(rows, OTHER)


def test_back_to_back_pairs_the_latest_of_each_side(tmp_path):
    results = tmp_path / "results.jsonl"
    entries = [
        {"date": "2026-11-29T10:00:00Z", "commit": "4531174", "what": "make test", "seconds": 1000, "exit": 0},
        {"date": "2026-11-29T11:00:00Z", "commit": "abcdef1", "what": "make test", "seconds": 900, "exit": 0},
        {"date": "2026-11-29T12:00:00Z", "commit": "abcdef2", "what": "make test", "seconds": 500, "exit": 0},
    ]
    results.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    rows = bench_report.back_to_back_rows(results)
    assert rows[2] == "| make test | 1,000 | 500 (abcdef2) | 0.50 | ≤ 0.6 | 2026-11-29 |"
    assert bench_report.back_to_back_rows(tmp_path / "missing.jsonl") == []


def test_both_setup_targets_are_shares_of_the_baselines_setup_from_nothing(tmp_path):
    results = tmp_path / "results.jsonl"
    entries = [
        {"date": "2026-11-29T10:00:00Z", "commit": "4531174", "what": "setup from nothing", "seconds": 200, "exit": 0},
        {"date": "2026-11-29T10:05:00Z", "commit": "4531174", "what": "setup, warm caches", "seconds": 100, "exit": 0},
        {"date": "2026-11-29T10:10:00Z", "commit": "abcdef1", "what": "setup from nothing", "seconds": 120, "exit": 0},
        {"date": "2026-11-29T10:15:00Z", "commit": "abcdef1", "what": "setup, warm caches", "seconds": 20, "exit": 0},
    ]
    results.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    rows = bench_report.back_to_back_rows(results)
    assert rows[2] == (
        "| setup from nothing | 200 | 120 (abcdef1) | 0.60 | ≤ 0.65 of 4531174's setup from nothing | 2026-11-29 |"
    )
    assert rows[3] == (
        "| setup, warm caches | 100 | 20 (abcdef1) | 0.10 | ≤ 0.15 of 4531174's setup from nothing | 2026-11-29 |"
    )
