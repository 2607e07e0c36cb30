#!/usr/bin/env bash
# Installs aioquic (a QUIC and TLS 1.3 stack in Python, from PyPI) into a
# virtual environment under target/ and prints the path of its python.
# Idempotent and safe to run concurrently: a second call prints the path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/aioquic"
venv="$out/venv"
version="1.7.2"
mkdir -p "$out"
(
  flock 9
  if ! "$venv/bin/python" -c "import aioquic, sys; sys.exit(aioquic.__version__ != '$version')" 2>/dev/null; then
    python3 -m venv "$venv" >&2 || { apt-get install -y -qq python3-venv >&2 && python3 -m venv "$venv" >&2; }
    "$venv/bin/pip" install -q "aioquic==$version" >&2
  fi
) 9>"$out/.install-lock"
echo "$venv/bin/python"
