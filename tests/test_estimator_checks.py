"""scikit-learn's estimator checks: default parameters, no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sktiam import TIAMClassifier, TIAMRegressor


@parametrize_with_checks([TIAMClassifier(), TIAMRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
