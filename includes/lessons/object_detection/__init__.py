"""Module 09, object detection: box formats and drawing, generated shapes with their boxes, mAP
bookkeeping and COCO records (helpers); 09.1L's checks.

Notebooks: ``notebooks/09_object_detection/``.
"""
