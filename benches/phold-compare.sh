#!/usr/bin/env bash
# PHOLD-v1 side by side: faultline's kernel against the bare-loop peer in
# ../shared/peers/rust-baseline (default variant), alternating A B A B so both see the same
# machine load. Prints each run's line, then the median events/s of each and their ratio.
# Usage: benches/phold-compare.sh [ROUNDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
peer=../shared/peers/rust-baseline
args=(--lps 1024 --init 16 --events 10000000 --remote 0.9 --lookahead 1.0 --mean 1.0 --seed 42)
cargo build --release --quiet -p faultline-benches
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/phold-baseline-target}
(cd "$peer" && cargo build --release --quiet)
ours=() theirs=()
for _ in $(seq "$rounds"); do
  a=$(../shared/peers/time_wrap.sh ./target/release/phold "${args[@]}")
  b=$("$peer/run.sh" 1024 16 10000000 0.9 1.0 1.0 42)
  echo "$a"; echo "$b"
  ours+=("$(sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$a")")
  theirs+=("$(sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$b")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
m_ours=$(median "${ours[@]}") m_theirs=$(median "${theirs[@]}")
awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN { printf "median events_per_s: faultline=%d baseline=%d ratio=%.3f\n", a, b, a / b }'
