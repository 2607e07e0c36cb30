#!/usr/bin/env bash
# Runs cloaktls's BoGo shim against BoringSSL's TLS test runner, which the
# developer builds outside this repository (the runner never enters it),
# and prints PASS / FAIL / SKIP, the failed tests, and the flags the shim
# did not implement (its exit 89), most frequent first.
#
# usage: bogo/run.sh [-r RUNNER] [-b BORINGSSL] [-o OUT.json] [-n TOP] [-- RUNNER_ARGS...]
#   -b BORINGSSL  a BoringSSL checkout (or $BORINGSSL); the runner runs from
#                 its ssl/test/runner directory
#   -r RUNNER     the runner built with `go test -c` in that directory (or
#                 $BOGO_RUNNER); without it, it is built there as
#                 ./runner.test (needs Go and the runner's modules)
#   -o OUT.json   the runner's JSON results (default: a temporary file)
#   -n TOP        how many skip flags to list (default 25)
#   RUNNER_ARGS   passed on, e.g. -test 'Resume-*' or -include-disabled
#
# The shim is built here (cargo build --release -p cloak --bin bogo_shim)
# and configured by bogo/config.json. Runner commit of the README's figures:
# BoringSSL a0689af29e8e.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
boringssl=${BORINGSSL:-}
runner=${BOGO_RUNNER:-}
out=
top=25
while getopts "r:b:o:n:h" opt; do
  case $opt in
    r) runner=$OPTARG ;;
    b) boringssl=$OPTARG ;;
    o) out=$OPTARG ;;
    n) top=$OPTARG ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

if [ -z "$boringssl" ] || [ ! -d "$boringssl/ssl/test/runner" ]; then
  echo "bogo/run.sh: give a BoringSSL checkout with -b or \$BORINGSSL" >&2
  exit 2
fi
runner_dir=$(cd "$boringssl/ssl/test/runner" && pwd)
if [ -z "$runner" ]; then
  runner=$runner_dir/runner.test
  if [ ! -x "$runner" ]; then
    echo "building the runner in $runner_dir" >&2
    (cd "$runner_dir" && go test -c -o runner.test .)
  fi
fi
runner=$(cd "$(dirname "$runner")" && pwd)/$(basename "$runner")

(cd "$here" && cargo build --release -q -p cloak --bin bogo_shim)
shim=$here/target/release/bogo_shim

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
[ -n "$out" ] || out=$scratch/results.json
case $out in /*) ;; *) out=$PWD/$out ;; esac
# The shim appends the flag it stopped at to this file when it exits 89.
export BOGO_SHIM_UNIMPLEMENTED=$scratch/unimplemented.txt
: > "$BOGO_SHIM_UNIMPLEMENTED"
# The runner leaves its test certificates under $TMPDIR.
mkdir "$scratch/tmp"

status=0
(cd "$runner_dir" && TMPDIR=$scratch/tmp "$runner" -test.timeout 60m \
  -shim-path "$shim" -shim-config "$here/bogo/config.json" \
  -allow-unimplemented -num-workers "${BOGO_WORKERS:-2}" -pipe \
  -json-output "$out" "$@") > "$scratch/log" 2>&1 || status=$?

python3 - "$out" "$BOGO_SHIM_UNIMPLEMENTED" "$top" <<'EOF'
import collections, json, sys
try:
    results = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit("the runner wrote no results; see its output")
counts = results.get("num_failures_by_type", {})
print("PASS %d  FAIL %d  SKIP %d" % (counts.get("PASS", 0), counts.get("FAIL", 0), counts.get("SKIP", 0)))
failed = sorted(n for n, t in results.get("tests", {}).items() if t.get("actual") == "FAIL")
for name in failed:
    print("FAILED", name)
flags = collections.Counter(l.strip() for l in open(sys.argv[2]) if l.strip())
print("top %s skip flags (of %d shim exits with 89):" % (sys.argv[3], sum(flags.values())))
for flag, n in flags.most_common(int(sys.argv[3])):
    print("%6d %s" % (n, flag))
EOF
if [ "$status" -ne 0 ]; then
  echo "(the runner exited with $status; its output follows)"
  grep -v '^\(PASSED\|UNIMPLEMENTED\) (' "$scratch/log" | tail -n 200
fi
exit "$status"
