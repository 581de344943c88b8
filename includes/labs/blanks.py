"""A lab's blanks: what a student lab calls where the learner must write code.

``fill_in("...")`` stops the notebook with one sentence saying what to write
there; the generator (``includes.labs.generator``) puts these blanks in place
of the solution's marked blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

STUDENT_LAB_NAME = re.compile(r"^\d+\.\d+L_.*\.ipynb$")


def is_student_lab(path: Path) -> bool:
    """A generated student lab (``NN.NL_*.ipynb`` outside ``solutions/``): it stops at its first blank."""
    return path.parent.name != "solutions" and bool(STUDENT_LAB_NAME.match(path.name))


class LabBlankError(Exception):
    """Raised by a blank the learner has not filled in yet."""


def fill_in(instruction: str = "complete this step"):
    """A blank in a lab: stops the notebook and says what to write here."""
    raise LabBlankError(
        f"This blank is not filled in yet: {instruction.rstrip('.')}. "
        "Replace `fill_in(...)` with your code and run the cell again."
    )
