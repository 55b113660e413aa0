"""Summary of tasks/experiment.sh: voxel AUROC of each anomaly-map folder inside the body, pooled over the test
phantoms, overall and per lesion type (lesion voxels of one type against all lesion-free body voxels), from the
phantoms' JSON sidecars, and each map's mean score over the lesion-free body voxels (`healthy_mean`: for maps of
−log q, the mean negative log-likelihood of healthy voxels, in nats; lower = a sharper model of normal tissue). An
independent re-computation with nibabel + scipy + sklearn (Debian's python3 packages):
the body mask is the kit's rule (HU < -500 4-connected to the border of its axial slice is outside), so the overall
figures match `deno task eval`'s pooled AUROC.

usage: /usr/bin/python3 tasks/experiment_summary.py TEST_DIR NAME=MAPS_DIR [NAME=MAPS_DIR ...]
"""
import glob
import json
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage as ndi
from sklearn.metrics import roc_auc_score


def body_mask(ct):
    air = ct < -500
    body = np.ones(ct.shape, bool)
    for k in range(ct.shape[2]):
        lab, _ = ndi.label(air[:, :, k])  # 2D 4-connectivity
        edge = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
        body[:, :, k] = ~np.isin(lab, edge[edge > 0])
    return body


def phantom_cases(test, names):
    """Yields (stem, image, ct, body, code) for each test phantom: the nibabel image, HU as float32, the body mask, and
    per voxel the lesion-type code (0 background, n > 0 the type names[n], -1 a lesion voxel no sidecar entry claims);
    `names` (starting ["background"]) grows as lesion types appear."""
    for path in sorted(glob.glob(os.path.join(test, "phantom_[0-9][0-9][0-9][0-9].nii.gz"))):
        stem = os.path.basename(path)[:-7]
        img = nib.load(path)
        ct = np.asarray(img.dataobj).astype(np.float32)
        lesion = np.asarray(nib.load(os.path.join(test, stem + "_lesions.nii.gz")).dataobj) > 0
        info = json.load(open(os.path.join(test, stem + ".json")))
        body = body_mask(ct)
        comp, _ = ndi.label(lesion, np.ones((3, 3, 3)))
        code = np.where(lesion, -1, 0).astype(np.int8)
        for les in info["lesions"]:
            c = comp[tuple(les["centerVoxel"])]
            if c > 0:
                if les["type"] not in names:
                    names.append(les["type"])
                code[comp == c] = names.index(les["type"])
        yield stem, img, ct, body, code


def read_map(folder, stem):
    """The anomaly map `folder/<stem>_anomaly.nii.gz` as float32."""
    return np.asarray(nib.load(os.path.join(folder, stem + "_anomaly.nii.gz")).dataobj, np.float32)


def auroc_row(codes, names, s):
    """Pooled AUROC of scores `s` (body voxels of all cases): overall, and per lesion type against the lesion-free
    body voxels; plus the mean score of the lesion-free body voxels."""
    bg = codes == 0
    row = {"all": roc_auc_score(~bg, s)}
    for n in sorted(range(1, len(names)), key=lambda n: names[n]):
        sel = bg | (codes == n)
        row[names[n]] = roc_auc_score(codes[sel] == n, s[sel])
    row["healthy_mean"] = float(np.mean(s[bg], dtype=np.float64))
    return {k: round(float(v), 4) for k, v in row.items()}


def main():
    test = sys.argv[1]
    maps = dict(a.split("=", 1) for a in sys.argv[2:])
    maps["raw_hu"] = None
    scores = {name: [] for name in maps}
    names = ["background"]  # type code 0; lesion types get codes 1, 2, ... as they appear; -1 = unmatched lesion
    codes = []
    for stem, _img, ct, body, code in phantom_cases(test, names):
        codes.append(code[body])
        for name, d in maps.items():
            s = ct if d is None else read_map(d, stem)
            scores[name].append(s[body])
    codes = np.concatenate(codes)
    out = {name: auroc_row(codes, names, np.concatenate(scores[name])) for name in maps}
    out["lesion_voxels"] = {names[n]: int((codes == n).sum()) for n in sorted(range(1, len(names)), key=lambda n: names[n])}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
