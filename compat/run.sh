#!/usr/bin/env bash
# Out-of-process SDK compatibility suite for the SQS API.
#
#   bash compat/run.sh [path-to-polyq-binary]     (default: target/debug/polyq)
#
# Does not build Rust: build the binary first (cargo build -p polyq).
# Creates/refreshes two virtualenvs and runs the pytest suite twice:
#   compat/.venv-current  current boto3 (JSON 1.0 protocol) + awscli v1
#   compat/.venv-query    boto3 1.28.50 / botocore 1.31.50 (query protocol)
# Extra pytest arguments can be passed via COMPAT_PYTEST_ARGS (e.g. "-k fifo -x").
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)

BIN=${1:-target/debug/polyq}
case "$BIN" in
    /*) ;;
    *) BIN="$REPO_ROOT/$BIN" ;;
esac
if [[ ! -x "$BIN" ]]; then
    echo "compat: polyq binary not found or not executable: $BIN" >&2
    echo "compat: build it first, e.g. 'cargo build -p polyq'" >&2
    exit 2
fi

PYTHON=${PYTHON:-python3}

hash_file() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$PYTHON" -c 'import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

# ensure_venv DIR REQUIREMENTS: (re)create DIR unless its stamp matches.
ensure_venv() {
    local dir=$1 req=$2 want have=""
    want="$(hash_file "$req") $("$PYTHON" -c 'import sys;print(sys.version.split()[0])')"
    if [[ -f "$dir/.requirements.sha256" ]]; then
        have=$(cat "$dir/.requirements.sha256")
    fi
    if [[ -x "$dir/bin/python" && "$have" == "$want" ]]; then
        return 0
    fi
    echo "compat: creating $dir from $req"
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input --progress-bar off -r "$req"
    echo "$want" >"$dir/.requirements.sha256"
}

VENV_CURRENT="$REPO_ROOT/compat/.venv-current"
VENV_QUERY="$REPO_ROOT/compat/.venv-query"
ensure_venv "$VENV_CURRENT" compat/requirements-current.txt
ensure_venv "$VENV_QUERY" compat/requirements-query.txt

export POLYQ_BIN="$BIN"
# Keep the developer's AWS configuration out of the SDKs' way.
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SQS || true
export PYTHONDONTWRITEBYTECODE=1

# shellcheck disable=SC2206
EXTRA=(${COMPAT_PYTEST_ARGS:-})

status=0
run_suite() {
    local label=$1 venv=$2
    echo
    echo "=================================================================="
    echo "== compat: $label"
    echo "==   $("$venv/bin/python" -c 'import boto3,botocore;print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}")')"
    echo "==   server: $BIN"
    echo "=================================================================="
    if (cd compat && "$venv/bin/python" -m pytest "${EXTRA[@]}"); then
        echo "== compat: $label: PASSED"
    else
        echo "== compat: $label: FAILED"
        status=1
    fi
}

run_suite "current SDK (JSON 1.0 protocol) + AWS CLI" "$VENV_CURRENT"
run_suite "legacy SDK (query protocol)" "$VENV_QUERY"

echo
if [[ $status -eq 0 ]]; then
    echo "compat: both SDK runs passed"
else
    echo "compat: at least one SDK run FAILED"
fi
exit $status
