"""Module 09, object detection: box formats and drawing, the KerasHub skip rule (helpers).

Notebooks: ``notebooks/09_object_detection/``.
"""
