"""The course's package: everything the notebooks import, in four wings and one room per module.

Notebooks start with::

    from includes import setup_course
    course = setup_course("01.2 Keras")

- ``includes.settings``: every ``COURSE_*`` setting, read when asked (imports nothing of the course);
- ``includes.setup``: ``setup_course()``, paths, Spark, MLflow tracking, ``reset_course()``;
- ``includes.data``: the data layer (canonical files, checksums, cache, mirror; loaders);
- ``includes.labs``: lab blanks, ``LabChecks``, and the generator of student labs;
- ``includes.common``: helpers several modules share (the housing model, baselines, plots, progress);
- ``includes.lessons.<topic>``: one module's helpers and lab checks, named like ``notebooks/NN_<topic>/``.

See includes/README.md for where new code goes.
"""

from .labs.blanks import LabBlankError, fill_in
from .setup import Course, CourseSetupError, reset_course, setup_course

__all__ = ["Course", "CourseSetupError", "LabBlankError", "fill_in", "reset_course", "setup_course"]
