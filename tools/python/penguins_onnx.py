"""Trains the example ONNX model: a scikit-learn Pipeline (StandardScaler, then a multinomial
LogisticRegression) on the Palmer Penguins CSV, exported with skl2onnx.

    .venv-tools/bin/python tools/python/penguins_onnx.py [--out model/examples/penguins-onnx/model.onnx]

The data, label, test fraction and seed are those of the M3 entry of model/models.json, read
as mlship reads them (mlship_data.py); the pipeline is fitted on the training rows of mlship's
own split (mlship_split.py), so the test rows mlship scores the model on were never seen.

The graph: one input "features" (float32, [rows, 4], the CSV's feature columns in order), two
outputs, "label" (string, [rows]) and "probabilities" (float32, [rows, classes], columns in the
sorted class order of model/src/dataset.ts). No ZipMap: the probabilities stay a plain tensor.

Reproducible: the same pinned packages give the same bytes (tools/test/penguins-onnx.test.ts
compares two runs and the committed file), and the script refuses to run with other versions.
It prints one JSON line: the file written, the training rows, the features and classes, and two
numbers that say why another machine writes the same bytes (see weights_of and the functions after it).
"""
import argparse
import importlib.metadata
import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mlship_data import ROOT, load_csv, model_entry
from mlship_split import stratified_split

DATA_ENTRY = "M3"
DEFAULT_OUT = ROOT / "model" / "examples" / "penguins-onnx" / "model.onnx"
# The newest opsets the converter may use, fixed so a new skl2onnx cannot raise them: ai.onnx 17
# and ai.onnx.ml 3, which onnxruntime has run since 1.13. The file records the lowest each of its
# ops needs (ai.onnx 9 and ai.onnx.ml 1 today), so it also loads on runtimes older than the pinned one.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
# The packages whose versions decide the file's bytes (weights, graph, serialization).
PINNED = ("scikit-learn", "numpy", "scipy", "skl2onnx", "onnx", "protobuf")


def check_pins():
    """Stops unless the packages that decide the bytes are at requirements-tools.txt's versions."""
    text = (ROOT / "requirements-tools.txt").read_text(encoding="utf-8")
    for package in PINNED:
        pin = re.search(rf"^{re.escape(package)}(?:\[[^]]*\])?==(\S+)", text, re.MULTILINE)
        installed = importlib.metadata.version(package)
        if pin is None or pin.group(1) != installed:
            wanted = pin.group(1) if pin else "no pin"
            sys.exit(f"error: {package} {installed} is installed, requirements-tools.txt has {wanted}: run npm run tools:install")


def training_rows():
    """(feature_names, class_names, X, y) of the training split of DATA_ENTRY's data."""
    entry = model_entry(DATA_ENTRY)
    features, classes, X, y = load_csv(ROOT / entry["data"]["path"], entry["data"]["label"])
    train, _ = stratified_split(y, len(classes), entry["testFraction"], entry["seed"])
    return features, classes, np.asarray(X, dtype=np.float64)[train], np.asarray(classes)[np.asarray(y)[train]]


def fit(X, labels):
    # lbfgs is deterministic (random_state is fixed all the same, should the solver change). The
    # penalized loss is strictly convex, so its minimum is unique; a tolerance far below float32's
    # resolution makes the exported weights that minimum's, not an accident of the path to it.
    classifier = LogisticRegression(solver="lbfgs", C=1.0, tol=1e-10, max_iter=10_000, random_state=0)
    pipeline = Pipeline([("standardize", StandardScaler()), ("classify", classifier)])
    pipeline.fit(X, labels)
    if classifier.n_iter_.max() >= classifier.max_iter:
        sys.exit(f"error: lbfgs did not converge in {classifier.max_iter} iterations")
    return pipeline


def export(pipeline, feature_count, class_count):
    model = convert_sklearn(
        pipeline,
        name="penguins",
        initial_types=[("features", FloatTensorType([None, feature_count]))],
        final_types=[("label", StringTensorType([None])), ("probabilities", FloatTensorType([None, class_count]))],
        target_opset=TARGET_OPSET,
        options={LogisticRegression: {"zipmap": False}},
    )
    # skl2onnx collects the opset imports in a set, whose order follows Python's per-process string
    # hash seed: sorted, so two runs agree.
    opsets = sorted(model.opset_import, key=lambda o: o.domain)
    del model.opset_import[:]
    model.opset_import.extend(opsets)
    # Fields a converter may fill from its environment: fixed, so the bytes depend on the model only.
    model.producer_name = "skl2onnx"
    model.producer_version = importlib.metadata.version("skl2onnx")
    model.domain = "ai.mlship.examples"
    model.model_version = 1
    model.doc_string = "Palmer Penguins species from four body measurements: tools/python/penguins_onnx.py"
    model.graph.doc_string = ""
    del model.metadata_props[:]
    onnx.checker.check_model(model, full_check=True)
    return model


def weights_of(pipeline):
    """The float64 values the file stores as float32, in the graph's order."""
    scaler, classifier = pipeline.named_steps["standardize"], pipeline.named_steps["classify"]
    return np.concatenate([scaler.mean_, 1 / scaler.scale_, classifier.coef_.ravel(), classifier.intercept_])


def reorder_spread(X, labels, weights, reorderings=5):
    """How much the float64 weights move, as a fraction of each, when the training rows come in
    another order: every sum then runs in another order, as it does on another CPU's BLAS or libm."""
    spread = 0.0
    for seed in range(reorderings):
        order = np.random.default_rng(seed).permutation(len(X))
        spread = max(spread, float(np.max(np.abs(weights_of(fit(X[order], labels[order])) - weights) / np.abs(weights))))
    return spread


def float32_margin(weights, model):
    """How far the weights are from changing in the file: the smallest distance, as a fraction of
    the weight, from a float64 weight to a midpoint between two float32s, where rounding flips."""
    attributes = {(n.op_type, a.name): onnx.helper.get_attribute_value(a) for n in model.graph.node for a in n.attribute}
    stored = np.concatenate([attributes[key] for key in (("Scaler", "offset"), ("Scaler", "scale"), ("LinearClassifier", "coefficients"), ("LinearClassifier", "intercepts"))])
    rounded = weights.astype(np.float32)
    if not np.array_equal(rounded, stored.astype(np.float32)):
        sys.exit("error: the file's weights are not the float32 roundings of the pipeline's; the margin would not describe them")
    # Sums of two neighbouring float32s, halved, are exact in float64.
    up = (rounded.astype(np.float64) + np.nextafter(rounded, np.float32(np.inf))) / 2
    down = (rounded.astype(np.float64) + np.nextafter(rounded, np.float32(-np.inf))) / 2
    return float(np.min(np.minimum(np.abs(weights - up), np.abs(weights - down)) / np.abs(weights)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write the .onnx file (default {DEFAULT_OUT.relative_to(ROOT)})")
    out = parser.parse_args().out
    check_pins()
    features, classes, X, labels = training_rows()
    pipeline = fit(X, labels)
    model = export(pipeline, len(features), len(classes))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(model.SerializeToString(deterministic=True))
    weights = weights_of(pipeline)
    # One JSON line: what was written, and the two numbers that say whether another machine's
    # floating point could change its bytes (the margin must dwarf the spread).
    print(json.dumps({
        "out": str(out), "trainingRows": len(X), "features": features, "classes": classes,
        "float32Margin": float32_margin(weights, model), "reorderSpread": reorder_spread(X, labels, weights),
    }))


if __name__ == "__main__":
    main()
