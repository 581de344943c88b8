"""Course set-up: the one call at the top of every notebook and what it relies on.

- ``course``: ``setup_course()`` and the ``Course`` object a notebook gets back;
- ``environment``: Python and package checks, Databricks detection;
- ``paths``: the course folder and each notebook's working folder;
- ``spark``: the SparkSession (``local[2]`` on a laptop, the cluster's on Databricks);
- ``tracking``: the MLflow store and each notebook's experiment;
- ``reset``: ``reset_course()``, start the course over.

Every setting these read from the environment is in ``includes.settings``.
"""

from .course import Course, setup_course
from .environment import CourseSetupError
from .reset import reset_course

__all__ = ["Course", "CourseSetupError", "reset_course", "setup_course"]
