"""Check functions for the labs, one module per course module.

Each function prints a plain-words report and raises ``LabCheckFailed`` when
something is wrong; tests/unit/test_labchecks_*.py show each one passing on a
right answer and failing on a wrong one.
"""
