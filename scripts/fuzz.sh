#!/usr/bin/env bash
# Long runs of the parser property tests (docs/fuzzing.md). Manual only, not
# part of CI or scripts/test.sh, which run the same properties bounded.
#
#   scripts/fuzz.sh                      # 100000 cases per property, all crates
#   PROPTEST_CASES=1000000 scripts/fuzz.sh -p agent-provider
#   PROPTEST_RNG_SEED=42 scripts/fuzz.sh # replay a run's inputs
#
# Arguments go to nextest: -p CRATE replaces the default crate list, and
# e.g. -E 'test(sse)' narrows the properties.
set -euo pipefail
cd "$(dirname "$0")/.."

export PROPTEST_CASES="${PROPTEST_CASES:-100000}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

crates=(-p agent-security -p renderer-bridge -p agent-provider -p agent-host)
for arg in "$@"; do
  case "$arg" in -p | --package | -p* | --package=*) crates=() ;; esac
done

echo "== property tests, PROPTEST_CASES=$PROPTEST_CASES" >&2
# Only the property modules (src/proptests*), in each crate's unit-test
# binary; at 100000 cases the slowest properties take minutes.
# The substring filter keeps to them; an -E filterset narrows further.
exec cargo nextest run --locked --no-fail-fast --lib \
  --status-level pass --final-status-level fail \
  "${crates[@]}" "$@" -- proptests::
