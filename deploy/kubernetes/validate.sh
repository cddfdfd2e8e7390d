#!/usr/bin/env bash
# Checks the manifests in this folder against the Kubernetes API schemas
# (strict: unknown fields are errors) with kubernetes-validate, a maintained
# validator from PyPI that carries the schemas of every Kubernetes release,
# so it needs no cluster and no network once installed.
# Usage: deploy/kubernetes/validate.sh [KUBERNETES_VERSION]   (default: the validator's newest)
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v kubernetes-validate >/dev/null; then
  echo "kubernetes-validate is needed: pip install kubernetes-validate" >&2
  exit 2
fi
version=()
[ $# -gt 0 ] && version=(-k "$1")
# The load job's START_AT placeholder is replaced when it is applied; it is a
# string in the manifest either way, so the file is checked as it is.
kubernetes-validate --strict "${version[@]}" ./*.yaml
