"""What onnxruntime in Python answers for an ONNX classifier: the reference a server must match.

    .venv-tools/bin/python tools/python/onnx_reference.py [MODEL.onnx] [--entry M3] [--random 3000] [--seed 20261201]

MODEL.onnx defaults to model/examples/penguins-onnx/model.onnx. The rows are (a) every row of the
data of the model/models.json entry --entry, read as mlship reads it (mlship_data.py), in file
order, and (b) --random rows drawn with numpy's default_rng(--seed), each feature uniform in
[min, max] of that feature over the data rows. One session, one thread (so the result does not
depend on the machine's cores). Each part is answered twice: in one run over all its rows, and in
one run per row. onnxruntime computes a run of one row by another path than a run of several, and
the probabilities of the two may differ in the last float32 bit (runs of two rows or more agree
with each other, and onnxruntime-node gives the same values as Python in both cases). A server
matches "labels" and "probabilities" where it predicts rows together, and "oneRow" where it
predicts a row alone.

Prints one JSON object:
    {"model": "model/examples/penguins-onnx/model.onnx", "sha256": "<of the file>",
     "onnxruntime": "1.31.1",
     "input": {"name": "features", "type": "tensor(float)"},
     "outputs": {"label": "label", "probabilities": "probabilities"},
     "featureNames": ["bill_length_mm", ...], "classes": ["Adelie", "Chinstrap", "Gentoo"],
     "data":   {"rows": [[39.1, 18.7, 181.0, 3750.0], ...], "labels": ["Adelie", ...],
                "probabilities": [[0.98, 0.01, 0.01], ...],
                "oneRow": {"labels": [...], "probabilities": [[...], ...]}},
     "random": {"seed": 20261201, "rows": [...], "labels": [...], "probabilities": [...],
                "oneRow": {"labels": [...], "probabilities": [...]}}}
"rows" are the float64 values before the model's input type is applied: a consumer feeds them
as that type, rounding to nearest as numpy's astype and JavaScript's Float32Array both do.
"labels" are the model's label output; "probabilities"[i][j] is the probability of classes[j],
each a float32 output written as the float64 of the same value, so JSON.parse gives back exactly
the number a Float32Array holds and a consumer can compare with ===. "classes" are the column
order, from the graph's classlabels_strings (or classlabels_int64s) attribute.
"""
import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

# onnxruntime's Linux wheels ship Microsoft's telemetry, on by default outside CI: on import it
# writes a device id under ~/.cache/Microsoft and tries to upload. It reads this variable when it
# loads, so it is set before the import (and an operator's own value is kept).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import numpy as np  # noqa: E402 (after the opt-out above)
import onnx  # noqa: E402
import onnxruntime  # noqa: E402

from mlship_data import ROOT, load_csv, model_entry  # noqa: E402

DEFAULT_MODEL = ROOT / "model" / "examples" / "penguins-onnx" / "model.onnx"
INPUT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def class_labels(model):
    """The probability columns' classes, from the classifier node that declares them."""
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.name in ("classlabels_strings", "classlabels_int64s"):
                values = onnx.helper.get_attribute_value(attribute)
                return [v.decode("utf-8") if isinstance(v, bytes) else int(v) for v in values]
    sys.exit("error: no node of the graph declares classlabels_strings or classlabels_int64s")


def output_roles(session):
    """(label output, probabilities output): the rank-1 output and the rank-2 float one."""
    outputs = session.get_outputs()
    label = [o.name for o in outputs if len(o.shape) == 1]
    probabilities = [o.name for o in outputs if len(o.shape) == 2 and o.type == "tensor(float)"]
    if len(label) != 1 or len(probabilities) != 1:
        sys.exit(f"error: expected one label output and one float probabilities output, got {[(o.name, o.type, o.shape) for o in outputs]}")
    return label[0], probabilities[0]


def random_rows(data, count, seed):
    data = np.asarray(data, dtype=np.float64)
    return np.random.default_rng(seed).uniform(data.min(axis=0), data.max(axis=0), size=(count, data.shape[1]))


def run(session, input_meta, roles, rows):
    """(labels, probabilities) of one run over `rows`, as JSON values."""
    labels, probabilities = session.run(list(roles), {input_meta.name: rows.astype(INPUT_TYPES[input_meta.type])})
    # tolist() turns each float32 into the float64 of the same value, and each label into a str or int.
    return labels.tolist(), probabilities.tolist()


def answers(session, input_meta, roles, rows):
    rows = np.asarray(rows, dtype=np.float64)
    labels, probabilities = run(session, input_meta, roles, rows)
    alone = [run(session, input_meta, roles, rows[i : i + 1]) for i in range(len(rows))]
    return {
        "rows": rows.tolist(),
        "labels": labels,
        "probabilities": probabilities,
        "oneRow": {"labels": [a[0][0] for a in alone], "probabilities": [a[1][0] for a in alone]},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--entry", default="M3", help="the model/models.json entry whose data rows to predict")
    parser.add_argument("--random", type=int, default=3000, help="how many random rows")
    parser.add_argument("--seed", type=int, default=20261201, help="the random rows' seed")
    args = parser.parse_args()

    blob = args.model.read_bytes()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
    [input_meta] = session.get_inputs()
    if input_meta.type not in INPUT_TYPES:
        sys.exit(f"error: input {input_meta.name} is {input_meta.type}; this reference feeds {sorted(INPUT_TYPES)}")
    roles = output_roles(session)

    entry = model_entry(args.entry)
    feature_names, _, X, _ = load_csv(ROOT / entry["data"]["path"], entry["data"]["label"])
    path = args.model.resolve()
    print(json.dumps({
        "model": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "onnxruntime": onnxruntime.__version__,
        "input": {"name": input_meta.name, "type": input_meta.type},
        "outputs": {"label": roles[0], "probabilities": roles[1]},
        "featureNames": feature_names,
        "classes": class_labels(onnx.load_from_string(blob)),
        "data": answers(session, input_meta, roles, X),
        "random": {"seed": args.seed, **answers(session, input_meta, roles, random_rows(X, args.random, args.seed))},
    }))


if __name__ == "__main__":
    main()
