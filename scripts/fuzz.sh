#!/usr/bin/env bash
# Runs every fuzz target for a short time (FUZZTIME, default 10s each), one
# after another: filter-to-SQL translation, cursor decoding and the JSON
# scalar. The seed corpora under testdata/fuzz run in every `go test ./...`;
# this explores beyond them. A failing input is written to the package's
# testdata/fuzz/<Target>/ directory: commit it with the fix, so it stays a
# regression test. CI calls this script.
#
#   scripts/fuzz.sh                 # 10 s per target
#   FUZZTIME=5m scripts/fuzz.sh     # longer, e.g. nightly
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-10s}"
# package:target
targets=(
  ./graph:FuzzCustomerFilter
  ./internal/nestquery:FuzzDecodeCursor
  ./graph/scalar:FuzzUnmarshalJSON
)

failed=0
for t in "${targets[@]}"; do
  pkg="${t%%:*}" name="${t##*:}"
  echo "== $name ($pkg, $fuzztime)"
  # -run '^$' skips the package's other tests; -parallel bounds the workers
  # on shared machines (FUZZ_PARALLEL, default: GOMAXPROCS).
  if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" ${FUZZ_PARALLEL:+-parallel "$FUZZ_PARALLEL"}; then
    echo "FAIL: $name: the failing input is in $pkg/testdata/fuzz/$name/" >&2
    failed=1
  fi
done
exit "$failed"
