#!/usr/bin/env bash
# The phantom experiment of the density/inference issue, end to end, sized to fit a 2-core CPU in ~30 minutes:
# train and test phantoms (disjoint seeds) → descriptor and condition pretraining (tiny) → two density fits
# (flow + masked condition; unconditional Gaussian, no condition) → anomaly maps of the test phantoms → voxel AUROC
# inside the body for both, next to the trivial raw-HU score. Every step is a `deno task` of the kit.
# Usage: [STEPS=400] [DESCRIPTOR_STEPS=…] [CONDITION_STEPS=…] [LR=1e-3] [SPACING=2,2,3] [DESCRIPTOR_FLAGS=--no-augment]
#        [CONDITION_FLAGS=…] [SCORE_MODE=window] [FIT_FLAGS="--condition-spacing 4,4,6"] [SMOOTH_MM=0]
#        bash tasks/experiment.sh [OUT_DIR]
#        (default OUT_DIR data/experiment; STEPS: pretraining steps of both models unless DESCRIPTOR_STEPS /
#        CONDITION_STEPS say otherwise; DESCRIPTOR_FLAGS / CONDITION_FLAGS: extra `deno task train` flags of one model;
#        SCORE_MODE: `deno task infer --score-mode`, window = METHOD §6 (default), features = the faster CPU variant;
#        FIT_FLAGS: extra `deno task fit` flags of the flow + masked fit, e.g. --condition-spacing, --condition-masking;
#        they come last, so they also override the fit's --steps 800 --hidden 64 and its --noise-std 0.01;
#        SMOOTH_MM: `deno task infer --smooth-mm` of both runs' maps, Gaussian σ in mm inside the body, 0 = none)
set -euo pipefail
out="${1:-data/experiment}"
steps="${STEPS:-400}"
descriptor_steps="${DESCRIPTOR_STEPS:-$steps}"
condition_steps="${CONDITION_STEPS:-$steps}"
spacing="${SPACING:-2,2,3}"
lr="${LR:-1e-3}"
descriptor_flags="${DESCRIPTOR_FLAGS:-}"
condition_flags="${CONDITION_FLAGS:-}"
score_mode="${SCORE_MODE:-window}"
fit_flags="${FIT_FLAGS:-}"
smooth_mm="${SMOOTH_MM:-0}"
mkdir -p "$out"
t0=$(date +%s)
stamp() { echo "[experiment $(( $(date +%s) - t0 )) s] $*" >&2; }

stamp "phantoms: 8 train (seed 1000), 6 test (seed 2000), 256x256x160 @ 1.4x1.4x2 mm"
deno task phantoms --count 8 --seed 1000 --out "$out/train" >/dev/null
deno task phantoms --count 6 --seed 2000 --out "$out/test" >/dev/null
# Training scans only (CT files; lesion masks are skipped by the scan lister, and never used for training).

for model in descriptor condition; do
  extra="$condition_flags" model_steps="$condition_steps"
  [ "$model" = descriptor ] && extra="$descriptor_flags" model_steps="$descriptor_steps"
  stamp "pretraining $model: tiny, $model_steps steps, peak LR $lr $extra"
  # shellcheck disable=SC2086 # extra holds zero or more flags
  deno task train --model "$model" --config tiny --data "$out/train" --steps "$model_steps" --seed 1 --lr "$lr" \
    --out "$out/run/$model" --preprocess-spacing "$spacing" --checkpoint-every 100 $extra >/dev/null
done
mkdir -p "$out/run_uncond"
ln -sfn "$(realpath "$out/run/descriptor")" "$out/run_uncond/descriptor"

stamp "density: flow + masked $fit_flags"
# shellcheck disable=SC2086 # fit_flags holds zero or more flags
deno task fit --run "$out/run" --density flow --condition masked --data "$out/train" --steps 800 \
  --batch-size 1024 --hidden 64 --seed 1 $fit_flags >/dev/null
stamp "density: gaussian-uncond + none"
deno task fit --run "$out/run_uncond" --density gaussian-uncond --condition none --data "$out/train" --steps 64 \
  --batch-size 4096 --seed 1 >/dev/null

for run in run run_uncond; do
  stamp "inference ($run) on the 6 test phantoms"
  deno task infer --run "$out/$run" --out "$out/pred_$run" --overlap 0.25 --batch-size 1 --score-mode "$score_mode" \
    --smooth-mm "$smooth_mm" "$out"/test/phantom_000?.nii.gz >/dev/null
  stamp "evaluation ($run)"
  deno task eval --pred "$out/pred_$run" --gt "$out/test" --images "$out/test" --out "$out/report_$run" >/dev/null
done
stamp "raw-HU baseline on the test phantoms"
deno task baselines --data "$out/test" > "$out/baselines.json"
stamp "summary: voxel AUROC inside the body, overall and per lesion type (nibabel + scipy + sklearn)"
/usr/bin/python3 tasks/experiment_summary.py "$out/test" flow_masked="$out/pred_run" \
  gaussian_uncond_none="$out/pred_run_uncond" | tee "$out/summary.json"
stamp "done"
