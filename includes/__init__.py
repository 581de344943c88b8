"""Shared helpers for the course's notebooks: setup, lab blanks and checks, plots.

Notebooks start with::

    from includes import setup_course
    course = setup_course("01.2 Keras")
"""
from .course import Course, setup_course
from .environment import CourseSetupError
from .labs import LabBlankError, fill_in

__all__ = ["Course", "CourseSetupError", "LabBlankError", "fill_in", "setup_course"]
