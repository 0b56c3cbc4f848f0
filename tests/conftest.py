"""Test configuration shared by the whole suite.

scikit-learn's array API dispatch needs SciPy's own array API support, which
SciPy reads from ``SCIPY_ARRAY_API`` when it is first imported. Setting it
here, before any test module imports SciPy, lets the array API tests and
scikit-learn's array API estimator checks run instead of skipping.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
