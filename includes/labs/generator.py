"""Labs from one source: the solution notebook is the source, the student lab is made from it.

The blanks themselves (``fill_in``) live in ``includes.labs.blanks``.

In a solution notebook (``notebooks/<module>/solutions/<lab>.ipynb``) each part
the learner must write is marked like this::

    # TODO: Build a Sequential model with two hidden Dense layers and one output unit.
    ### BEGIN SOLUTION
    model = keras.Sequential([...])
    ### END SOLUTION

The student lab (``notebooks/<module>/<lab>.ipynb``) keeps the TODO comment and
replaces the marked block with a blank that stops the notebook there::

    # TODO: Build a Sequential model with two hidden Dense layers and one output unit.
    model = fill_in("Build a Sequential model with two hidden Dense layers and one output unit.")

Cells tagged ``solution-only`` (for example notes about the solution) are left
out of the student lab. Run ``make labs`` after
editing a solution; the test suite fails if a committed lab differs from what
this generator makes.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import keyword
import re
import shutil
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path
from typing import NamedTuple

from ..settings import REPO_ROOT

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
TODO_PREFIX = "# TODO:"
SOLUTION_ONLY_TAG = "solution-only"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SOLUTIONS_FOLDER = "solutions"  # a module's lab solutions; each student lab is written one folder up
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=(?!=)")


class LabSourceError(ValueError):
    """A solution notebook whose markers cannot be turned into a lab."""


def _todo_above(lines: list[str], where: str) -> str:
    """The text of the ``# TODO:`` comment right above a solution block."""
    collected = []
    for line in reversed(lines):
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        collected.append(stripped)
        if stripped.startswith(TODO_PREFIX):
            break
    collected.reverse()
    if not collected or not collected[0].startswith(TODO_PREFIX):
        raise LabSourceError(f"{where}: put a '{TODO_PREFIX} ...' comment right above '{BEGIN}'.")
    words = [collected[0][len(TODO_PREFIX) :].strip()]
    words += [line.lstrip("#").strip() for line in collected[1:]]
    return " ".join(word for word in words if word)


def _assigned_names(solution_lines: list[str]) -> list[str]:
    """Every plain name the block assigns, at any depth, in order (keyword arguments are not assignments)."""
    try:
        tree = ast.parse(textwrap.dedent("\n".join(solution_lines)))
    except SyntaxError:
        return []
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        )
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(element, ast.Name):
                    names.append((element.lineno, element.id))
    ordered: list[str] = []
    for _, name in sorted(names):
        if name not in ordered:
            ordered.append(name)
    return ordered


def _assigned_name(solution_lines: list[str], code_after: list[str]) -> str | None:
    """The name(s) the blank should assign, so the student sees what the block must produce.

    That is the first line's assignment (``model = ...``) when it covers every name the rest of the cell
    uses; otherwise the names assigned in the block that the rest of the cell uses (``return loss`` after
    a training step); otherwise nothing.
    """
    used_after = set(re.findall(r"[A-Za-z_]\w*", "\n".join(code_after)))
    needed = [name for name in _assigned_names(solution_lines) if name in used_after]
    first = next((line for line in solution_lines if line.strip()), "")
    match = _ASSIGNMENT.match(first)
    first_targets = match.group(1) if match else None
    if first_targets and set(needed) <= {name.strip() for name in first_targets.split(",")}:
        return first_targets
    return ", ".join(needed) or None


def blank_for(solution_lines: list[str], instruction: str, indent: str, code_after: list[str] = ()) -> str:
    """The line that replaces a solution block in the student lab."""
    call = f"fill_in({json.dumps(instruction, ensure_ascii=False)})"
    target = _assigned_name(solution_lines, list(code_after))
    return f"{indent}{target} = {call}" if target else f"{indent}{call}"


class SolutionBlock(NamedTuple):
    """One ``### BEGIN/END SOLUTION`` block of a cell: where it is, and the TODO above it."""

    begin: int  # line index of the BEGIN marker
    end: int  # line index of the END marker
    instruction: str  # the TODO text right above it
    code: list[str]  # the solution's lines between the markers


def solution_blocks(source: str, where: str = "cell") -> list[SolutionBlock]:
    """Every solution block of one cell's source, in order (a marker without its twin is an error)."""
    lines = source.split("\n")
    blocks: list[SolutionBlock] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped == END:
            raise LabSourceError(f"{where}: '{END}' without '{BEGIN}'.")
        if stripped != BEGIN:
            index += 1
            continue
        try:
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == END)
        except StopIteration:
            raise LabSourceError(f"{where}: '{BEGIN}' without '{END}'.") from None
        instruction = _todo_above(lines[:index], where)
        blocks.append(SolutionBlock(index, end, instruction, lines[index + 1 : end]))
        index = end + 1
    return blocks


def student_source(source: str, where: str = "cell") -> str:
    """Replace every solution block in one cell's source with a blank."""
    lines = source.split("\n")
    out: list[str] = []
    start = 0
    for block in solution_blocks(source, where):
        out.extend(lines[start : block.begin])
        marker = lines[block.begin]
        indent = marker[: len(marker) - len(marker.lstrip())]
        out.append(blank_for(block.code, block.instruction, indent, lines[block.end + 1 :]))
        start = block.end + 1
    out.extend(lines[start:])
    return "\n".join(out)


# --- How much of the answer a TODO gives away -------------------------------------------------

# A lab step is a specification, not a transcription: its TODO says what to achieve and where to look,
# not which names and numbers to type. tests/unit/test_lab_dictation.py keeps every lab under these.
MAX_MEDIAN_DICTATED_SHARE = 0.25
MAX_DICTATED_SHARE = 0.6


def answer_tokens(code: str) -> set[str]:
    """The distinct identifiers and numeric literals of some code, longer than one character, keywords excluded."""
    found: set[str] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(textwrap.dedent(code)).readline):
            if (
                (token.type == tokenize.NAME and not keyword.iskeyword(token.string)) or token.type == tokenize.NUMBER
            ) and len(token.string) > 1:
                found.add(token.string)
    except (tokenize.TokenError, IndentationError):
        pass
    return found


def dictated_share(instruction: str, code: str) -> float:
    """The fraction of the block's identifiers and numbers that its TODO text spells out verbatim."""
    tokens = answer_tokens(code)
    if not tokens:
        return 0.0
    given = {token for token in tokens if re.search(r"(?<![\w.])" + re.escape(token) + r"(?!\w)", instruction)}
    return len(given) / len(tokens)


def dictation_table(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[tuple[str, int, float, str]]:
    """(lab, cell number, dictated share, TODO) for every solution block of every lab."""
    rows = []
    for solution_path, _ in lab_pairs(notebooks_dir):
        cells = json.loads(solution_path.read_text())["cells"]
        for number, cell in enumerate(cells, start=1):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for block in solution_blocks(source, f"{solution_path.name}, cell {number}"):
                rows.append(
                    (
                        solution_path.name,
                        number,
                        dictated_share(block.instruction, "\n".join(block.code)),
                        block.instruction,
                    )
                )
    return rows


def student_notebook(solution: dict, solution_name: str = "solution") -> dict:
    """The student version of a solution notebook (as nbformat JSON)."""
    lab = json.loads(json.dumps(solution))
    cells = []
    for number, cell in enumerate(lab["cells"], start=1):
        if SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            source = student_source(source, where=f"{solution_name}, cell {number}")
        cell["source"] = source
        cells.append(cell)
    lab["cells"] = cells
    lab.setdefault("metadata", {})["course"] = {
        "generated_from": f"solutions/{solution_name}",
        "note": "Generated by `make labs` from the solution; edit the solution, not this file.",
    }
    return lab


def count_blanks(notebook: dict) -> int:
    return sum("fill_in(" in "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")


def student_lab_of(solution: Path) -> Path:
    """Where the student lab made from ``solution`` lives: beside the solutions' folder, same name."""
    return solution.parent.parent / solution.name


def solution_of(student_lab: Path) -> Path:
    """The solution a student lab is made from, in the solutions' folder beside it."""
    return student_lab.parent / SOLUTIONS_FOLDER / student_lab.name


def lab_pairs(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[tuple[Path, Path]]:
    """(solution, student lab) path pairs for every lab of the course."""
    return [
        (solution, student_lab_of(solution)) for solution in sorted(notebooks_dir.glob(f"*/{SOLUTIONS_FOLDER}/*.ipynb"))
    ]


def render(notebook: dict) -> str:
    """Serialise a notebook the way Jupyter does (stable diffs)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def formatted(text: str, path: Path) -> str:
    """The notebook as ``ruff format`` leaves it, so that a generated lab passes the formatter's check like every
    other notebook (a long blank is wrapped, sources become lists of lines). The course pins ruff; where it is
    missing the text is kept as rendered."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        return text
    result = subprocess.run(
        [ruff, "format", "--stdin-filename", str(path), "-"], input=text, capture_output=True, text=True, cwd=REPO_ROOT
    )
    if result.returncode != 0:
        raise LabSourceError(f"ruff could not format {path.name}: {result.stderr.strip()}")
    return result.stdout


def student_lab_text(solution_path: Path, lab_path: Path) -> str:
    """The student lab's file content, made from its solution notebook."""
    solution = json.loads(solution_path.read_text())
    return formatted(render(student_notebook(solution, solution_path.name)), lab_path)


def generate(notebooks_dir: Path = NOTEBOOKS_DIR, check: bool = False) -> list[Path]:
    """Write every student lab; with ``check``, only list the ones out of date."""
    stale = []
    for solution_path, lab_path in lab_pairs(notebooks_dir):
        text = student_lab_text(solution_path, lab_path)
        if not lab_path.exists() or lab_path.read_text() != text:
            stale.append(lab_path)
            if not check:
                lab_path.write_text(text)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a lab differs from its solution")
    parser.add_argument(
        "--dictation", action="store_true", help="print how much of each blank's answer its TODO gives away, and stop"
    )
    args = parser.parse_args(argv)
    if args.dictation:
        for lab, cell, share, instruction in dictation_table():
            flag = "  <- over the limit" if share > MAX_DICTATED_SHARE else ""
            print(f"{share:4.2f}  {lab}, cell {cell}: {instruction[:90]}{flag}")
        return 0
    stale = generate(check=args.check)
    for path in stale:
        verb = "out of date" if args.check else "written"
        print(f"{path.relative_to(NOTEBOOKS_DIR.parent)}: {verb}")
    if args.check and stale:
        print("Run `make labs` to regenerate the labs from their solutions.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
