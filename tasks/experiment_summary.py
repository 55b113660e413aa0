"""Summary of tasks/experiment.sh: voxel AUROC of each anomaly-map folder inside the body, pooled over the test
phantoms, overall and per lesion type (lesion voxels of one type against all lesion-free body voxels), from the
phantoms' JSON sidecars. An independent re-computation with nibabel + scipy + sklearn (Debian's python3 packages):
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
    types = []
    for path in sorted(glob.glob(os.path.join(test, "phantom_[0-9][0-9][0-9][0-9].nii.gz"))):
        stem = os.path.basename(path)[:-7]
        ct = np.asarray(nib.load(path).dataobj).astype(np.float32)
        lesion = np.asarray(nib.load(os.path.join(test, stem + "_lesions.nii.gz")).dataobj) > 0
        info = json.load(open(os.path.join(test, stem + ".json")))
        body = body_mask(ct)
        comp, _ = ndi.label(lesion, np.ones((3, 3, 3)))
        t = np.full(comp.shape, "", dtype="<U16")
        for les in info["lesions"]:
            c = comp[tuple(les["centerVoxel"])]
            if c > 0:
                t[comp == c] = les["type"]
        types.append(np.where(lesion[body], t[body], "background"))
        for name, d in maps.items():
            s = ct if d is None else np.asarray(nib.load(os.path.join(d, stem + "_anomaly.nii.gz")).dataobj)
            scores[name].append(np.asarray(s, np.float32)[body])
    types = np.concatenate(types)
    bg = types == "background"
    out = {}
    for name in maps:
        s = np.concatenate(scores[name])
        row = {"all": roc_auc_score(~bg, s)}
        for ty in sorted(set(types) - {"background", ""}):
            sel = bg | (types == ty)
            row[ty] = roc_auc_score(types[sel] == ty, s[sel])
        out[name] = {k: round(float(v), 4) for k, v in row.items()}
    out["lesion_voxels"] = {ty: int((types == ty).sum()) for ty in sorted(set(types) - {"background"})}
    print(json.dumps(out, indent=2))


main()
