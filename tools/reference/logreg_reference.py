#!/usr/bin/python3
"""Independent reference for the C# L2 logistic regression (issue 6 item 3, src/FhirRisk.Training/Linear/).

Fits scikit-learn's LogisticRegression(penalty="l2", C fixed, solver="newton-cholesky") on small seeded problems —
dense and sparse (CSR), unscaled, standardised (StandardScaler) and max-abs scaled (MaxAbsScaler) — and writes the
inputs, the coefficients and intercept on the *unscaled* features, and the predicted probabilities to
fixtures/logreg-reference.json. The C# test (tests/FhirRisk.Training.Tests/Linear/) fits the same data with our
L-BFGS solver and must agree within 1e-6.

Both implementations minimise ½‖w‖² + C Σᵢ log-loss with an unpenalised intercept (the C# side divides by C·n, which
moves nothing). The script checks independently, in numpy, that scikit-learn's answer is the optimum: the gradient
of that objective at the stored solution must be below 1e-9 (scaled by 1/(C·n)), so the fixture does not inherit a
solver's early stop.

    apt-get install -y --no-install-recommends python3-sklearn   # Debian's scikit-learn (pulls in numpy and scipy)
    /usr/bin/python3 tools/reference/logreg_reference.py         # writes tools/reference/fixtures/logreg-reference.json
    /usr/bin/python3 tools/reference/logreg_reference.py --verify
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "logreg-reference.json"
FORMAT_NAME = "fhirrisk-logreg-reference"
FORMAT_VERSION = 1
OPTIMALITY_TOLERANCE = 1e-9


def dense_problem(rng):
    """120 × 6 features on different scales with non-zero means; labels from a noisy logistic model."""
    n, d = 120, 6
    x = rng.normal(size=(n, d)) * np.array([1.0, 3.0, 0.2, 10.0, 1.0, 0.5]) + np.array([0.0, 2.0, -1.0, 5.0, 0.0, 0.3])
    logits = x @ np.array([0.8, -0.3, 2.0, 0.05, 0.0, -1.0]) + 2.0
    y = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-logits))
    return x, y


def sparse_problem(rng):
    """150 × 25 code-count-like features, about 85 % zeros, stored as CSR."""
    n, d = 150, 25
    counts = rng.poisson(lam=rng.uniform(0.2, 3.0, size=d), size=(n, d)).astype(float)
    counts *= rng.uniform(size=(n, d)) < 0.15
    logits = counts @ rng.normal(scale=0.6, size=d) - 0.5
    y = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-logits))
    return sp.csr_matrix(counts), y


def fit(x, y, c, scaling):
    model = LogisticRegression(penalty="l2", C=c, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    if scaling == "none":
        pipeline = model
    elif scaling == "standardize":
        pipeline = make_pipeline(StandardScaler(), model)
    else:
        pipeline = make_pipeline(MaxAbsScaler(), model)
    pipeline.fit(x, y)
    coef, intercept = model.coef_[0].copy(), float(model.intercept_[0])
    # Back to unscaled features: w = v / s, b' = b − μ·w (the scalers keep s = 1 for constant columns).
    if scaling != "none":
        scaler = pipeline[0]
        coef = coef / scaler.scale_
        if scaling == "standardize":
            intercept -= float(scaler.mean_ @ coef)
    probabilities = pipeline.predict_proba(x)[:, 1]
    return coef, intercept, probabilities


def scaled(x, scaling):
    dense = x.toarray() if sp.issparse(x) else np.asarray(x)
    if scaling == "none":
        return dense, np.ones(dense.shape[1]), np.zeros(dense.shape[1])
    if scaling == "standardize":
        mean, std = dense.mean(axis=0), dense.std(axis=0)
    else:
        mean, std = np.zeros(dense.shape[1]), np.abs(dense).max(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (dense - mean) / std, std, mean


def optimality_gap(case):
    """max |∇f| of (1/n)Σ log-loss + ‖v‖²/(2Cn) in the scaled coordinates, recomputed in numpy from the stored answer."""
    x = case_matrix(case)
    y = np.array(case["y"], dtype=float)
    xs, std, mean = scaled(x, case["scaling"])
    v = np.array(case["coefficients"]) * std
    b = case["intercept"] + float(mean @ np.array(case["coefficients"]))
    z = xs @ v + b
    r = 1.0 / (1.0 + np.exp(-z)) - y
    n = len(y)
    grad = np.concatenate([xs.T @ r / n + v / (case["C"] * n), [r.sum() / n]])
    return float(np.abs(grad).max())


def case_matrix(case):
    if case["format"] == "dense":
        return np.array(case["x"], dtype=float)
    return sp.csr_matrix((case["data"], case["indices"], case["indptr"]), shape=(case["rows"], case["columns"]))


def make_case(name, x, y, c, scaling):
    coef, intercept, probabilities = fit(x, y, c, scaling)
    case = {"name": name, "scaling": scaling, "C": c, "rows": int(x.shape[0]), "columns": int(x.shape[1])}
    if sp.issparse(x):
        case.update(format="csr", indptr=x.indptr.tolist(), indices=x.indices.tolist(), data=x.data.tolist())
    else:
        case.update(format="dense", x=x.tolist())
    case.update(y=[bool(v) for v in y], coefficients=coef.tolist(), intercept=intercept, probabilities=probabilities.tolist())
    return case


def build():
    rng = np.random.RandomState(20240611)
    dense_x, dense_y = dense_problem(rng)
    sparse_x, sparse_y = sparse_problem(rng)
    cases = [
        make_case("dense", dense_x, dense_y, 0.5, "none"),
        make_case("dense_standardized", dense_x, dense_y, 0.05, "standardize"),
        make_case("sparse", sparse_x, sparse_y, 2.0, "none"),
        make_case("sparse_maxabs", sparse_x, sparse_y, 0.3, "maxabs"),
    ]
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "objective": "0.5*||v||^2 + C*sum(log_loss), intercept unpenalised, v on scaled features; coefficients on unscaled features",
        "cases": cases,
    }


def verify(fixture):
    if fixture.get("format") != FORMAT_NAME or fixture.get("format_version") != FORMAT_VERSION:
        raise SystemExit(f"{FIXTURE}: not a {FORMAT_NAME} v{FORMAT_VERSION} file")
    for case in fixture["cases"]:
        gap = optimality_gap(case)
        y = np.array(case["y"])
        if not (0 < y.sum() < len(y)):
            raise SystemExit(f"{case['name']}: needs both classes")
        if gap > OPTIMALITY_TOLERANCE:
            raise SystemExit(f"{case['name']}: gradient {gap:.3g} at the stored solution exceeds {OPTIMALITY_TOLERANCE}")
        x = case_matrix(case)
        z = x @ np.array(case["coefficients"]) + case["intercept"]
        p = 1.0 / (1.0 + np.exp(-z))
        if np.abs(p - np.array(case["probabilities"])).max() > 1e-12:
            raise SystemExit(f"{case['name']}: stored probabilities do not follow from the coefficients")
        print(f"ok: {case['name']}: {case['rows']}x{case['columns']} {case['format']} scaling={case['scaling']} C={case['C']} "
              f"positives={int(y.sum())} max|grad|={gap:.2e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", action="store_true", help="re-read the fixture and check it instead of writing it")
    args = parser.parse_args()
    if args.verify:
        verify(json.loads(FIXTURE.read_text()))
        return
    fixture = build()
    verify(fixture)
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes)")


if __name__ == "__main__":
    sys.exit(main())
