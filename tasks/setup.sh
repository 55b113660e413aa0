#!/usr/bin/env bash
# Installs what `deno task test` / `deno task demo` need beyond Deno itself, only when it is missing:
#   test: Debian's python3-nibabel, python3-scipy, python3-sklearn (independent oracles run with /usr/bin/python3),
#         Jupyter (nbconvert) with the Deno kernel registered, to execute notebooks/;
#         mesa-vulkan-drivers and libvulkan1: the lavapipe software WebGPU adapter that test/nn's webgpu steps use.
#         chromium: headless PNG export of figures (src/viz/png.ts), checked by test/viz and test/tasks/eval_test.ts.
#   demo: nothing beyond Deno and the npm packages in deno.json (fetched by Deno on first use).
#   bench: the test packages plus python3-torch (the PyTorch reference of `deno task bench train`).
# Needs root (or sudo) for apt-get; the project's machines and CI run as root.
set -euo pipefail
mode="${1:-test}"

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing Debian packages: $*" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

case "$mode" in
  test)
    if ! /usr/bin/python3 -c "import nibabel, scipy, sklearn" 2>/dev/null; then
      apt_install python3-nibabel python3-scipy python3-sklearn
    fi
    # Headless Chromium: PNG export of figures (src/viz/png.ts) and the test that a PNG is produced and not blank.
    if [ ! -x /usr/bin/chromium ]; then
      apt_install chromium
    fi
    if ! dpkg -s mesa-vulkan-drivers libvulkan1 >/dev/null 2>&1; then
      apt_install mesa-vulkan-drivers libvulkan1
    fi
    # Notebooks are executed headless on the Deno kernel by test/notebooks/.
    if [ ! -x /usr/bin/jupyter ] || ! /usr/bin/python3 -c "import nbclient, nbconvert" 2>/dev/null; then
      apt_install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel
    fi
    deno jupyter --install --force >/dev/null 2>&1
    ;;
  demo) ;;
  bench)
    # deno task bench train compares against PyTorch on the CPU (Debian's python3-torch, ~200 MB with deps).
    "$0" test
    if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
      apt_install python3-torch
    fi
    ;;
  *)
    echo "setup: unknown mode \"$mode\": expected test, demo or bench" >&2
    exit 2
    ;;
esac
