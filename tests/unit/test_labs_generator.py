"""The lab generator: solutions in, student labs out, blanks that stop with a clear message."""

import json

import pytest

from includes.labs.blanks import LabBlankError, fill_in
from includes.labs.generator import (
    LabSourceError,
    count_blanks,
    generate,
    lab_pairs,
    student_lab_text,
    student_notebook,
    student_source,
)


def test_fill_in_raises_a_clear_sentence():
    with pytest.raises(LabBlankError, match=r"not filled in yet: build the model\. Replace `fill_in\(\.\.\.\)`"):
        fill_in("build the model.")


def test_solution_block_becomes_an_assignment_blank():
    source = "\n".join(
        [
            "x = 1",
            "# TODO: Build the model with two layers",
            "#       and one output.",
            "### BEGIN SOLUTION",
            "model = keras.Sequential([",
            "    layers.Dense(1),",
            "])",
            "### END SOLUTION",
            "model.summary()",
        ]
    )
    assert student_source(source).split("\n") == [
        "x = 1",
        "# TODO: Build the model with two layers",
        "#       and one output.",
        'model = fill_in("Build the model with two layers and one output.")',
        "model.summary()",
    ]


def test_blank_keeps_indentation_and_tuple_targets():
    source = (
        "def f():\n    # TODO: Set a and b.\n    ### BEGIN SOLUTION\n"
        "    a, b = 1, 2\n    ### END SOLUTION\n    return a"
    )
    assert '    a, b = fill_in("Set a and b.")' in student_source(source)


def test_statement_block_becomes_a_bare_blank():
    source = "# TODO: Compile it.\n### BEGIN SOLUTION\nmodel.compile(loss='mse')\n### END SOLUTION"
    assert student_source(source).split("\n")[-1] == 'fill_in("Compile it.")'


def test_comparison_is_not_mistaken_for_assignment():
    source = "# TODO: Check.\n### BEGIN SOLUTION\nok == True\n### END SOLUTION"
    assert student_source(source).split("\n")[-1] == 'fill_in("Check.")'


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "TODO"),
        ("# TODO: x\n### BEGIN SOLUTION\nx = 1", "without '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION", "without '### BEGIN SOLUTION'"),
    ],
)
def test_malformed_markers_are_reported(source, problem):
    with pytest.raises(LabSourceError, match=problem):
        student_source(source, where="lab.ipynb, cell 3")


def _notebook(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_student_notebook_drops_solution_only_cells_and_marks_its_origin():
    solution = _notebook(
        {"cell_type": "markdown", "metadata": {"tags": ["solution-only"]}, "source": "secret"},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["# TODO: Set y.\n", "### BEGIN SOLUTION\n", "y = 2\n", "### END SOLUTION"],
        },
    )
    lab = student_notebook(solution, "lab.ipynb")
    assert len(lab["cells"]) == 1
    assert count_blanks(lab) == 1
    assert lab["metadata"]["course"]["generated_from"] == "solutions/lab.ipynb"
    assert solution["cells"][0]["source"] == "secret"  # the solution itself is untouched


def test_generate_writes_then_reports_up_to_date(tmp_path):
    module = tmp_path / "01_demo" / "solutions"
    module.mkdir(parents=True)
    solution = _notebook(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "# TODO: Set y.\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION",
        }
    )
    (module / "01.1L_demo_lab.ipynb").write_text(json.dumps(solution))
    assert generate(tmp_path, check=True) == [tmp_path / "01_demo" / "01.1L_demo_lab.ipynb"]
    generate(tmp_path)
    assert generate(tmp_path, check=True) == []


def test_committed_labs_equal_what_the_generator_makes():
    pairs = lab_pairs()
    assert pairs, "the course should have at least one lab"
    for solution_path, lab_path in pairs:
        assert lab_path.exists(), f"{lab_path.name} is missing: run `make labs`"
        assert lab_path.read_text() == student_lab_text(solution_path, lab_path), (
            f"{lab_path.name} is out of date: run `make labs`"
        )
        assert count_blanks(json.loads(lab_path.read_text())) >= 1, f"{lab_path.name} has no blank"


def test_blank_assigns_what_the_rest_of_the_cell_needs():
    source = "\n".join(
        [
            "def step(real):",
            "    # TODO: Compute the loss and update the model.",
            "    ### BEGIN SOLUTION",
            "    noise = sample(real)",
            "    with tape:",
            "        loss = model(noise,",
            "                     training=True)",
            "    optimizer.apply(loss)",
            "    ### END SOLUTION",
            "    return loss",
        ]
    )
    assert '    loss = fill_in("Compute the loss and update the model.")' in student_source(source)


def test_keyword_argument_lines_are_not_assignments():
    source = "# TODO: Fit it.\n### BEGIN SOLUTION\nmodel.fit(x, y,\n          verbose=0)\n### END SOLUTION\nverbose"
    assert student_source(source).split("\n")[-2] == 'fill_in("Fit it.")'
