"""mlship's seeded stratified train/test split (model/src/random.ts and model/src/split.ts) in Python.

A model trained outside mlship is scored by mlship on the test rows of this split; training it on
the same training rows keeps those test rows unseen, so the gate measures held-out accuracy.
Every step is the TypeScript one, in the same order and in the same arithmetic (32-bit unsigned
integers for mulberry32, IEEE doubles for the floats), so the indexes are the same.

As a command (for tools/test, which checks it against the TypeScript split): reads
    {"y": [0, 2, 1, ...], "classCount": 3, "testFraction": 0.2, "seed": 42}
on stdin and prints {"train": [...], "test": [...]}, sorted row indexes.
"""
import json
import math
import sys

MASK32 = 0xFFFFFFFF


def _imul(a, b):
    # Math.imul: the low 32 bits of the product; kept unsigned here, as every later step masks.
    return (a * b) & MASK32


def seeded_random(seed):
    """mulberry32, as seededRandom in model/src/random.ts: floats in [0, 1) determined by seed."""
    state = seed & MASK32

    def next_float():
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK32
        t = state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & MASK32
        return ((t ^ (t >> 14)) & MASK32) / 4294967296

    return next_float


def shuffled(items, random):
    """Fisher-Yates on a copy, drawing as shuffled() in model/src/random.ts does."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = math.floor(random() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


def test_rows_for_class(size, fraction):
    # JavaScript's Math.round rounds halves up; Python's round() would round them to even.
    return max(1, math.floor(size * fraction + 0.5))


def stratified_split(y, class_count, test_fraction, seed):
    """Sorted (train, test) row indexes, each class keeping its share in both."""
    random = seeded_random(seed)
    groups = [[] for _ in range(class_count)]
    for i, label in enumerate(y):
        groups[label].append(i)
    train, test = [], []
    for group in (shuffled(g, random) for g in groups):
        n_test = test_rows_for_class(len(group), test_fraction)
        test += group[:n_test]
        train += group[n_test:]
    return sorted(train), sorted(test)


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    train, test = stratified_split(spec["y"], spec["classCount"], spec["testFraction"], spec["seed"])
    print(json.dumps({"train": train, "test": test}))
