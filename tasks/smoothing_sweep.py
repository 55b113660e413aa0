"""Smoothing sweep of anomaly maps: for each σ (mm), every map folder's maps are smoothed inside the body by normalised
convolution, G_σ * (s·body) / G_σ * body (scipy.ndimage.gaussian_filter, σ converted to voxels with each CT's own
voxel size), and scored like tasks/experiment_summary.py: voxel AUROC inside the body pooled over the phantoms,
overall and per lesion type. σ = 0 is the map as written. An independent check of `deno task infer --smooth-mm`
(which smooths on the preprocessed grid before the map goes back onto the CT's grid; here the smoothing is on the
CT's grid), for choosing σ on validation phantoms. Debian's python3 packages (nibabel, scipy, sklearn).

usage: /usr/bin/python3 tasks/smoothing_sweep.py PHANTOM_DIR SIGMAS_MM NAME=MAPS_DIR [NAME=MAPS_DIR ...]
       (SIGMAS_MM: comma-separated, e.g. 0,4,8,16; NAME=HU scores the raw CT itself)
"""
import json
import sys

import numpy as np
from scipy import ndimage as ndi

from experiment_summary import auroc_row, phantom_cases, read_map


def smooth_within_body(s, body, sigma_mm, zooms):
    """Normalised Gaussian convolution of `s` over the body voxels; outside the body the input is kept."""
    if sigma_mm == 0:
        return s
    sigma = [sigma_mm / z for z in zooms]
    m = body.astype(np.float64)
    num = ndi.gaussian_filter(np.where(body, s, 0).astype(np.float64), sigma)
    den = ndi.gaussian_filter(m, sigma)
    return np.where(body, num / np.maximum(den, 1e-12), s).astype(np.float32)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    test, sigmas = sys.argv[1], [float(x) for x in sys.argv[2].split(",")]
    maps = dict(a.split("=", 1) for a in sys.argv[3:])
    names = ["background"]
    codes, scores = [], {(n, sg): [] for n in maps for sg in sigmas}
    for stem, img, ct, body, code in phantom_cases(test, names):
        codes.append(code[body])
        zooms = img.header.get_zooms()[:3]
        for name, d in maps.items():
            s = ct if d == "HU" else read_map(d, stem)
            for sg in sigmas:
                scores[(name, sg)].append(smooth_within_body(s, body, sg, zooms)[body])
        print(stem, file=sys.stderr, flush=True)
    codes = np.concatenate(codes)
    out = {name: {f"{sg:g}": auroc_row(codes, names, np.concatenate(scores[(name, sg)])) for sg in sigmas} for name in maps}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
