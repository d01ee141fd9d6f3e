"""The data of a model/models.json entry, read as mlship reads it (loadCsv in model/src/dataset.ts).

Every column but the label is a feature, in the file's order; cells are trimmed; a missing or
non-numeric feature, or a missing label, stops with the file, row and column; classes are the
sorted label names, so a class's index does not depend on row order. Rows keep the file's order,
so row i here is row i of mlship's data set and of its split.
"""
import csv
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS_JSON = ROOT / "model" / "models.json"
# The cells model/src/dataset.ts treats as missing, compared in lower case.
MISSING = {"", "na", "nan", "null", "none", "?"}


def model_entry(name):
    """The entry `name` of model/models.json, which must train on a CSV of the repository."""
    entry = json.loads(MODELS_JSON.read_text(encoding="utf-8"))["models"][name]
    if entry["data"].get("source") != "csv":
        sys.exit(f"error: model {name} in {MODELS_JSON} does not train on a CSV")
    return entry


def load_csv(path, label_column):
    """(feature_names, class_names, X, y) of a CSV with a header row; y indexes class_names."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        records = [[cell.strip() for cell in row] for row in csv.reader(f) if row]
    header, body = records[0], records[1:]
    label_index = header.index(label_column)
    feature_indexes = [i for i in range(len(header)) if i != label_index]
    X, labels = [], []
    # Row numbers as a spreadsheet shows them: the header is row 1.
    for row_number, record in enumerate(body, start=2):
        label = record[label_index]
        if label.lower() in MISSING:
            sys.exit(f"error: {path}: row {row_number}, column {label_column!r}: missing label")
        X.append([_feature(path, row_number, header[i], record[i]) for i in feature_indexes])
        labels.append(label)
    class_names = sorted(set(labels))
    y = [class_names.index(label) for label in labels]
    return [header[i] for i in feature_indexes], class_names, X, y


def _feature(path, row_number, column, raw):
    try:
        value = math.nan if raw.lower() in MISSING else float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        sys.exit(f"error: {path}: row {row_number}, column {column!r}: {raw!r} is not a number")
    return value
