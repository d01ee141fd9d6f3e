"""scikit-learn's KNeighborsClassifier rebuilt from an mlship artifact, for parity checks and the benchmark.

Reads one JSON object on stdin:
    {"points": [[...]], "labels": ["setosa", ...], "k": 11, "metric": "euclidean",
     "mean": [...], "std": [...], "queries": [[...raw features...]], "mode": "predict" | "bench",
     "benchSeconds": 1.0, "batchRows": 100}
and prints one JSON line. "predict": scikit-learn's label for every query, and whether its own
answer is tied (two classes share the top vote among the k neighbours, or the k-th and (k+1)-th
distances are equal, where the neighbour set itself is a choice). "bench": microseconds per row
for predict on one row at a time and on batches.
"""
import json
import sys
import time

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

# Distances equal up to float rounding: scikit-learn and JavaScript sum in their own orders.
TIE_TOLERANCE = 1e-9


def build(spec):
    # kd_tree computes each distance directly; brute euclidean would use the |a|^2 - 2ab + |b|^2 expansion.
    model = KNeighborsClassifier(n_neighbors=spec["k"], metric=spec["metric"], algorithm="kd_tree")
    model.fit(np.asarray(spec["points"], dtype=np.float64), np.asarray(spec["labels"]))
    return model


def standardize(spec, rows):
    # The same operation, in the same order, as model/src/preprocess.ts: (x - mean) / std.
    return (np.asarray(rows, dtype=np.float64) - np.asarray(spec["mean"])) / np.asarray(spec["std"])


def predict(spec):
    model = build(spec)
    queries = standardize(spec, spec["queries"])
    k = spec["k"]
    labels = model.predict(queries)
    distances, indices = model.kneighbors(queries, n_neighbors=k + 1)
    train_labels = model._y
    ties = []
    for row_distances, row_indices in zip(distances, indices):
        kth, next_ = row_distances[k - 1], row_distances[k]
        distance_tie = abs(next_ - kth) <= TIE_TOLERANCE * max(1.0, kth)
        votes = np.bincount(train_labels[row_indices[:k]], minlength=len(model.classes_))
        vote_tie = int(np.sum(votes == votes.max())) > 1
        ties.append("distance" if distance_tie else "vote" if vote_tie else "")
    return {"labels": labels.tolist(), "ties": ties}


def per_row_us(call, rows, seconds):
    call()  # warm-up
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        runs += 1
    return (time.perf_counter() - start) * 1e6 / (runs * rows)


def bench(spec):
    model = build(spec)
    queries = standardize(spec, spec["queries"])
    seconds = spec.get("benchSeconds", 1.0)
    one = queries[:1]
    batch = queries[: spec.get("batchRows", 100)]
    return {
        "singleUsPerRow": per_row_us(lambda: model.predict(one), 1, seconds),
        "batchUsPerRow": per_row_us(lambda: model.predict(batch), len(batch), seconds),
        "batchRows": len(batch),
    }


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    print(json.dumps(predict(spec) if spec.get("mode", "predict") == "predict" else bench(spec)))
