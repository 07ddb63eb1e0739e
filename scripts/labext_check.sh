#!/usr/bin/env bash
# Are the committed JupyterLab extension assets (certlab/labextension/) built from labextension/?
# Rebuilds in a temporary copy (npm ci from the lock file, then the build) and compares.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "labext-check: needs Node.js 20 and npm (apt-get install nodejs npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/labextension" "$tmp/certlab"
tar -C labextension --exclude=node_modules --exclude=lib --exclude=tsconfig.tsbuildinfo -cf - . | tar -C "$tmp/labextension" -xf -
(cd "$tmp/labextension" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run --silent build >/dev/null)
if ! diff -r "$tmp/certlab/labextension" certlab/labextension; then
    echo "labext-check: certlab/labextension/ is stale; run 'make labext' and commit the result" >&2
    exit 1
fi
echo "labext-check: certlab/labextension/ matches a fresh build of labextension/"
