"""Writes the CLAHE fixture of test/preprocess/clahe_test.ts: skimage's equalize_adapthist on a small 3D volume.

CI has no scikit-image, so its outputs are stored here. Made with scikit-image 0.26.0 and numpy 2.4.6 on Python 3.11;
install them in a throwaway folder and run from the repository root:

    /usr/bin/python3 -m pip install --target /tmp/skimage_pkg scikit-image==0.26.0
    PYTHONPATH=/tmp/skimage_pkg /usr/bin/python3 test/preprocess/testdata/make_clahe_fixture.py

Output, next to this script:
- clahe_fixture.json: versions, the shape [ni, nj, nk], and per case its options (as clahe() takes them, i fastest)
  and the skimage call (numpy (k, j, i) order).
- clahe_fixture.f32.gz: gzip'd float32 little-endian arrays, each ni·nj·nk values, i fastest: the input, then each
  case's output in the order of "cases".
"""

import gzip
import json
import os
import platform

import numpy as np
import skimage
from skimage.exposure import equalize_adapthist

HERE = os.path.dirname(os.path.abspath(__file__))
NI, NJ, NK = 20, 18, 12  # i fastest; numpy shape (NK, NJ, NI). NI must not be 3 or 4 (skimage would see RGB).


def make_input() -> np.ndarray:
    """A smooth pattern plus seeded noise, clipped to [0, 1] so that some voxels are exactly 0 or 1 (as after a window)."""
    k, j, i = np.meshgrid(np.arange(NK), np.arange(NJ), np.arange(NI), indexing="ij")
    smooth = (
        0.5
        + 0.45 * np.sin(i / 4.0) * np.cos(j / 5.0)
        + 0.3 * np.exp(-((i - 12) ** 2 + (j - 8) ** 2 + (k - 7) ** 2) / 18.0)
        - 0.35 * (k < 3)
    )
    noise = np.random.default_rng(20261127).normal(0.0, 0.06, smooth.shape)
    return np.clip(smooth + noise, 0.0, 1.0).astype(np.float32)


# transform: how the case's input derives from the stored one ("none", or "half": float32(float32(0.5 x) + 0.25)).
# options: as clahe() takes them (kernelVox along i, j, k); omitted keys take clahe()'s defaults.
CASES = [
    {"name": "defaults", "transform": "none", "options": {}},
    {"name": "kernel 7×5×6, clip 0.02, 128 bins", "transform": "none",
     "options": {"kernelVox": [7, 5, 6], "clipLimit": 0.02, "nbins": 128}},
    {"name": "kernel 9×45×4 (j longer than the axis), no clipping, 512 bins", "transform": "none",
     "options": {"kernelVox": [9, 45, 4], "clipLimit": 1, "nbins": 512}},
    {"name": "input squeezed to [0.25, 0.75], kernel 4×4×4", "transform": "half",
     "options": {"kernelVox": [4, 4, 4], "clipLimit": 0.05, "nbins": 256}},
]


def main() -> None:
    x = make_input()
    arrays = [x]
    for case in CASES:
        opts = case["options"]
        inp = x if case["transform"] == "none" else (x * np.float32(0.5) + np.float32(0.25)).astype(np.float32)
        assert inp.dtype == np.float32
        kernel = None if "kernelVox" not in opts else tuple(opts["kernelVox"][::-1])
        y = equalize_adapthist(inp, kernel_size=kernel, clip_limit=opts.get("clipLimit", 0.05),
                               nbins=opts.get("nbins", 256))
        assert y.dtype == np.float32 and y.shape == x.shape
        case["skimage_call"] = (
            f"equalize_adapthist(x, kernel_size={kernel}, clip_limit={opts.get('clipLimit', 0.05)}, "
            f"nbins={opts.get('nbins', 256)})"
        )
        arrays.append(y)
    meta = {
        "generator": "test/preprocess/testdata/make_clahe_fixture.py",
        "versions": {"scikit-image": skimage.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "shape": [NI, NJ, NK],
        "cases": CASES,
    }
    with open(os.path.join(HERE, "clahe_fixture.json"), "w") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")
    raw = b"".join(a.astype("<f4").tobytes(order="C") for a in arrays)
    with open(os.path.join(HERE, "clahe_fixture.f32.gz"), "wb") as f:
        f.write(gzip.compress(raw, compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
