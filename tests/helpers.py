"""Helpers shared by the test modules."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning


def fit_quietly(model, X, y, **fit_params):
    """Fit ``model``, silencing the ConvergenceWarning of a capped fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def assert_same_parameters(model, reference):
    """Assert that two fitted models have bitwise equal weights and biases."""
    for got, expected in zip(
        model.coefs_ + model.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(got, expected)
