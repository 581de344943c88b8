"""The Appendix: the small CNN and Fashion-MNIST images A.2 and A.3 share, label flipping (helpers).

Notebooks: ``notebooks/10_appendix/``.
"""
