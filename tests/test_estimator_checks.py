"""scikit-learn's estimator checks: default parameters, no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sktiam import TIAMClassifier, TIAMRegressor


@parametrize_with_checks(
    [
        TIAMClassifier(),
        TIAMRegressor(),
        # The opt-in weight step solves a system per layer and batch: its
        # own pass through the checks (sparse input, float32, sample weights).
        TIAMClassifier(weight_step="proximal"),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
