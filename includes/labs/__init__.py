"""Lab machinery, the same for every lab: blanks, checks, and the generator of student labs.

- ``blanks``: ``fill_in()``, the blank a student lab stops at, and ``is_student_lab()``;
- ``checks``: ``LabChecks`` (plain-words feedback with hints), ``attempt()`` and ``value_or()``,
  the one way a check runs the learner's code;
- ``display``: in a notebook, a blank or a failed check reads as its sentence, not as a traceback;
- ``generator``: makes each student lab from its solution (``make labs``).

A module's own checks live with its lesson: ``includes/lessons/<topic>/checks.py``.
"""

from .blanks import LabBlankError, fill_in, is_student_lab
from .checks import LabCheckFailed, LabChecks, attempt, value_or

__all__ = ["LabBlankError", "LabCheckFailed", "LabChecks", "attempt", "fill_in", "is_student_lab", "value_or"]
