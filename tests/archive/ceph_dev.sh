#!/usr/bin/env bash
# Boot a throw-away one-node Ceph cluster (1 mon, 1 memstore OSD, radosgw on 127.0.0.1) for
# trying the archive against RGW by hand. Prints endpoint and keys as JSON; Ctrl+C stops it.
#   tests/archive/ceph_dev.sh [DIR]      # DIR defaults to a new temporary directory
#   CURIT_S3_ENDPOINT=<endpoint> CURIT_S3_ACCESS_KEY=curitdev CURIT_S3_SECRET_KEY=curitdevsecret curit-docs cerca
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-$(mktemp -d -t curit-ceph.XXXXXX)}"
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" -m archive.ceph_dev "$dir"
