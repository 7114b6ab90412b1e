#!/usr/bin/python3
"""Reference values for FhirRisk's evaluation metrics, computed by scikit-learn (an implementation we did not write).

Writes tools/reference/fixtures/metrics-sklearn.json; tests/FhirRisk.Core.Tests/Statistics/SklearnFixtureTests.cs
must reproduce every number within 1e-12. Run with Debian's scikit-learn:

    apt-get install -y --no-install-recommends python3-sklearn
    /usr/bin/python3 tools/reference/metrics_reference.py

Each case is a list of scores in [0, 1] with boolean labels, and the expected:
  roc_auc            sklearn.metrics.roc_auc_score
  average_precision  sklearn.metrics.average_precision_score (step-wise, no interpolation)
  brier              sklearn.metrics.brier_score_loss
  calibration        sklearn.calibration.calibration_curve(n_bins=10, strategy="uniform") -> prob_true, prob_pred,
                     plus the per-bin counts (numpy, with the same searchsorted binning sklearn uses)
  ece                sum over non-empty bins of count/n * |prob_pred - prob_true| (scikit-learn has no ECE; this is
                     the definition we document, from sklearn's bins)
  roc_curve          sklearn.metrics.roc_curve(drop_intermediate=False) -> fpr, tpr
  pr_curve           sklearn.metrics.precision_recall_curve -> precision, recall (sklearn's order: recall descending)

The cases include ties (AUROC by midranks, AP by threshold groups) and probabilities exactly on bin edges such as
0.3 and 0.7, where linspace's edges (0.30000000000000004, 0.7000000000000001) decide the bin.
"""

import json
import os
import sys

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_curve, roc_auc_score, roc_curve

N_BINS = 10
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "metrics-sklearn.json")


def cases():
    yield "hand_ties", [0.1, 0.4, 0.35, 0.8, 0.5, 0.5, 0.3, 0.7, 0.0, 1.0, 0.3, 0.7], \
        [False, False, True, True, True, False, False, True, False, True, True, False]
    rng = np.random.RandomState(20240607)
    scores = np.round(rng.uniform(size=200), 2)  # two decimals: many ties, many values on bin edges
    yield "rounded_200", scores.tolist(), (rng.uniform(size=200) < scores).tolist()
    scores = rng.beta(0.5, 8.0, size=400)  # a rare outcome, probabilities crowded near 0
    yield "rare_400", scores.tolist(), (rng.uniform(size=400) < scores).tolist()


def expected(scores, labels):
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(scores, dtype=np.float64)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=N_BINS, strategy="uniform")
    edges = np.linspace(0.0, 1.0, N_BINS + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=N_BINS)
    counts = counts[counts != 0]
    fpr, tpr, _ = roc_curve(y, p, drop_intermediate=False)
    precision, recall, _ = precision_recall_curve(y, p)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "average_precision": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "calibration": {
            "prob_true": prob_true.tolist(),
            "prob_pred": prob_pred.tolist(),
            "count": [int(c) for c in counts],
        },
        "ece": float(np.sum(counts / len(p) * np.abs(prob_pred - prob_true))),
        "roc_curve": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "pr_curve": {"precision": precision.tolist(), "recall": recall.tolist()},
    }


def main():
    fixture = {
        "format": "fhirrisk-metrics-reference",
        "format_version": 1,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "calibration_bins": N_BINS,
        "cases": [{"name": name, "scores": s, "labels": l, "expected": expected(s, l)} for name, s, l in cases()],
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixture, f)
        f.write("\n")
    for case in fixture["cases"]:
        e = case["expected"]
        print(f"{case['name']}: n={len(case['scores'])} positives={sum(case['labels'])} auroc={e['roc_auc']:.6f} "
              f"ap={e['average_precision']:.6f} brier={e['brier']:.6f} ece={e['ece']:.6f}", file=sys.stderr)
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
