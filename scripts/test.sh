#!/usr/bin/env bash
# Runs the whole test suite like `go test ./...` and ends with one line
# saying which tests were skipped and why (a missing PostgreSQL, Chromium or
# stripe-mock skips their tests outside CI; under CI=true they fail
# instead). Extra arguments go to go test, e.g. bash scripts/test.sh -run TestX.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o "${TMPDIR:-/tmp}/stiggql-testsummary.$$" ./scripts/testsummary
trap 'rm -f "${TMPDIR:-/tmp}/stiggql-testsummary.$$"' EXIT
go test -json "$@" ./... | "${TMPDIR:-/tmp}/stiggql-testsummary.$$"
