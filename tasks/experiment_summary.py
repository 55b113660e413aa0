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


def main():
    test = sys.argv[1]
    maps = dict(a.split("=", 1) for a in sys.argv[2:])
    maps["raw_hu"] = None
    scores = {name: [] for name in maps}
    names = ["background"]  # type code 0; lesion types get codes 1, 2, ... as they appear; -1 = unmatched lesion
    codes = []
    for path in sorted(glob.glob(os.path.join(test, "phantom_[0-9][0-9][0-9][0-9].nii.gz"))):
        stem = os.path.basename(path)[:-7]
        ct = np.asarray(nib.load(path).dataobj).astype(np.float32)
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
        codes.append(code[body])
        for name, d in maps.items():
            s = ct if d is None else np.asarray(nib.load(os.path.join(d, stem + "_anomaly.nii.gz")).dataobj)
            scores[name].append(np.asarray(s, np.float32)[body])
    codes = np.concatenate(codes)
    bg = codes == 0
    out = {}
    for name in maps:
        s = np.concatenate(scores[name])
        row = {"all": roc_auc_score(~bg, s)}
        for n in sorted(range(1, len(names)), key=lambda n: names[n]):
            sel = bg | (codes == n)
            row[names[n]] = roc_auc_score(codes[sel] == n, s[sel])
        row["healthy_mean"] = float(np.mean(s[bg], dtype=np.float64))
        out[name] = {k: round(float(v), 4) for k, v in row.items()}
    out["lesion_voxels"] = {names[n]: int((codes == n).sum()) for n in sorted(range(1, len(names)), key=lambda n: names[n])}
    print(json.dumps(out, indent=2))


main()
