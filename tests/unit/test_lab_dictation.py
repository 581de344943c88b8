"""Every lab step is a specification, not a transcription: its TODO does not spell out the answer."""

import statistics

import pytest

from includes.labs.generator import MAX_DICTATED_SHARE, MAX_MEDIAN_DICTATED_SHARE, dictated_share, dictation_table

TABLE = dictation_table()


def test_the_measure_counts_names_and_numbers_the_todo_spells_out():
    code = "model.compile(optimizer=keras.optimizers.Adam(0.01), loss='mse')"
    # 8 names and numbers (model, compile, optimizer, keras, optimizers, Adam, 0.01, loss); the TODO gives 2
    assert dictated_share("Compile it with Adam at 0.01", code) == pytest.approx(2 / 8)
    assert dictated_share("Choose an optimizer and a loss for a regression", code) == pytest.approx(2 / 8)
    assert dictated_share("Choose how it learns and what it minimises, for a regression", code) == 0.0
    assert dictated_share("Use compile", "x = 1") == 0.0  # nothing of length > 1 to give away


def test_no_blank_dictates_its_answer():
    over = [
        f"{lab}, cell {cell}: {share:.2f} ({todo[:60]}...)"
        for lab, cell, share, todo in TABLE
        if share > MAX_DICTATED_SHARE
    ]
    assert not over, f"these TODOs spell out more than {MAX_DICTATED_SHARE:.0%} of their answer: {over}"


def test_the_median_blank_is_a_specification():
    assert TABLE
    median = statistics.median(share for _, _, share, _ in TABLE)
    assert median <= MAX_MEDIAN_DICTATED_SHARE, (
        f"the median blank's TODO gives away {median:.0%} of its answer (at most "
        f"{MAX_MEDIAN_DICTATED_SHARE:.0%}): `python -m includes.labs.generator --dictation` lists them"
    )
