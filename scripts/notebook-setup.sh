#!/usr/bin/env bash
# Sets up Jupyter for the TypeScript notebooks in notebooks/ (idempotent):
#   1. Debian's Jupyter packages, installed with apt-get only when missing (needs root then);
#   2. the tslab kernelspec, installed PROJECT-LOCALLY into .jupyter/ with Debian's python.
# Why Debian's python: the `python3` on PATH may be another interpreter (pyenv) without
# Jupyter, and `tslab install` then prints "jupyter is not installed in this Python." but
# still exits 0. Why project-local: nothing is written into the user's global Jupyter dirs.
# Afterwards:  export JUPYTER_PATH="$PWD/.jupyter/share/jupyter"
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(jupyter-notebook jupyter-nbconvert python3-nbconvert python3-nbclient python3-ipykernel jupyter-client)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "notebook-setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=/usr/bin/python3
if ! "$PY" -c 'import jupyter_client, ipykernel, nbconvert, nbclient' 2>/dev/null; then
  echo "notebook-setup: $PY cannot import the Jupyter modules (jupyter_client, ipykernel, nbconvert, nbclient)" >&2
  exit 1
fi

# The notebook kernel (tslab, and zeromq under it) is not a dependency of the CLI: a plain
# `npm install` stays free of its install-script warnings. It is installed here, into this
# project's node_modules without touching package.json or the lock file (`npm ci` removes it again).
TSLAB_VERSION=1.0.22
if [ ! -x node_modules/.bin/tslab ] || [ "$(node -p "require('./node_modules/tslab/package.json').version" 2>/dev/null)" != "$TSLAB_VERSION" ]; then
  if [ ! -d node_modules ]; then
    echo "notebook-setup: node_modules is missing: run 'npm ci' first" >&2
    exit 1
  fi
  echo "notebook-setup: installing tslab@$TSLAB_VERSION (the notebook kernel) into node_modules"
  npm install --no-save --no-audit --no-fund --ignore-scripts "tslab@$TSLAB_VERSION" >/dev/null
fi

npx --no-install tslab install --python="$PY" --binary="$PWD/node_modules/.bin/tslab" --prefix="$PWD/.jupyter" >/dev/null

export JUPYTER_PATH="$PWD/.jupyter/share/jupyter"
export PYDEVD_DISABLE_FILE_VALIDATION=1
# tslab install exits 0 even when it wrote nothing: check that Jupyter now sees the kernel.
# (Output captured first: `jupyter ... | grep -q` can die of SIGPIPE under pipefail.)
kernels="$(jupyter kernelspec list 2>&1 || true)"
if ! grep -Eq "^ *tslab +$JUPYTER_PATH/kernels/tslab\$" <<<"$kernels"; then
  echo "notebook-setup: the tslab kernel is not visible to Jupyter under $JUPYTER_PATH" >&2
  echo "$kernels" >&2
  exit 1
fi
echo "notebook-setup: tslab kernel installed in $JUPYTER_PATH/kernels (use: export JUPYTER_PATH=\"$JUPYTER_PATH\")"
