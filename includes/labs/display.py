"""How a blank or a failed check reads in a notebook: its sentence, not a traceback into the course's code.

IPython (Jupyter's and Databricks' Python kernels alike) lets a program choose how an exception is shown.
``show_lab_errors_plainly()`` registers the course's two lab exceptions, so a learner sees

- for a blank: ``This blank is not filled in yet: ... Replace `fill_in(...)` with your code ...``;
- for a failed check: the ✔/✘ lines the check printed, then one sentence saying what to do.

The cell still fails (the notebook stops there and "Run all" does not go on), and every other exception keeps
its full traceback, since those come from the learner's own code.
"""

from __future__ import annotations

from .blanks import LabBlankError
from .checks import LabCheckFailed

LAB_EXCEPTIONS = (LabBlankError, LabCheckFailed)


def plain_message(etype, value) -> list[str]:
    """What the learner reads for one of the lab exceptions: the sentence alone, in red."""
    return [f"\x1b[0;31m{value}\x1b[0m"]


def _show_plainly(shell, etype, value, tb, tb_offset=None):
    shell._showtraceback(etype, value, plain_message(etype, value))  # the kernel's error output, short
    return None


def show_lab_errors_plainly(shell=None) -> bool:
    """Show the lab exceptions as their sentence in this IPython kernel; False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc(LAB_EXCEPTIONS, _show_plainly)
    return True
