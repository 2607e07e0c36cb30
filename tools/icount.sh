#!/usr/bin/env bash
# Instruction counts per handshake side, under callgrind: the same rows as
# `cargo bench --bench sides`, for cloaktls, rustls and the ring floor. An
# instruction count does not move with other load on the machine, so a 3%
# change shows. Needs valgrind (apt-get install valgrind).
#
#   bash tools/icount.sh            # every row, 30 handshakes each
#   N=100 ROWS="resumed TLS 1.3" bash tools/icount.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
N=${N:-30}
bin=$(cargo bench --bench sides --no-run 2>&1 | grep -o 'target/release/deps/sides-[0-9a-f]*' | head -1)
[ -x "$bin" ] || { echo "could not build the sides benchmark" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -n "${ROWS:-}" ]; then
  IFS=';' read -r -a rows <<< "$ROWS"
else
  rows=("full TLS 1.3, ECDSA P-256" "full TLS 1.3, RSA-2048" "full TLS 1.2, ECDSA P-256" \
        "resumed TLS 1.3 (ticket)" "resumed TLS 1.2 (ticket)")
fi

# Inclusive instructions of the function whose name matches $2 in the
# callgrind file $1: its own line (the one naming the binary), not the
# call-graph lines ("=>") nor the lines of code inlined into it.
inclusive() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null \
    | awk -v pat="$2" '$0 ~ pat && $0 !~ /=>/ && $0 ~ /\[/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}

echo "instructions per handshake side (callgrind, $N handshakes each)"
echo "| row | side | cloaktls | rustls | ring floor | vs rustls | vs floor |"
echo "|---|---|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  declare -A client=() server=()
  for who in ours rustls floor; do
    f="$out/$who.cg"
    BENCH_ICOUNT=$N BENCH_ONLY=$who BENCH_FILTER="$row" \
      valgrind --tool=callgrind --callgrind-out-file="$f" \
        --collect-atstart=no --toggle-collect='sides::measured*' \
        "$bin" --bench >/dev/null 2>&1
    client[$who]=$(( $(inclusive "$f" 'sides::on_client') / N ))
    server[$who]=$(( $(inclusive "$f" 'sides::on_server') / N ))
  done
  for side in server client; do
    if [ $side = server ]; then o=${server[ours]} t=${server[rustls]} fl=${server[floor]}
    else o=${client[ours]} t=${client[rustls]} fl=${client[floor]}; fi
    awk -v r="$row" -v s="$side" -v o="$o" -v t="$t" -v f="$fl" 'BEGIN {
      printf "| %s | %s | %.0f k | %.0f k | %.0f k | %.2f | %.2f |\n", r, s, o/1000, t/1000, f/1000, t/o, f/o }'
  done
done
