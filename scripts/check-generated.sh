#!/usr/bin/env bash
# Fails when `go generate ./...` changes anything under version control:
# generated ent and gqlgen code must be committed as generated.
set -euo pipefail
cd "$(dirname "$0")/.."
go generate ./...
# The genqlient client is generated from the live schema (codegen/); it must
# follow every schema change too.
go run ./codegen/cmd/regen
if ! git diff --quiet -- . ; then
  echo "generated code is stale; run 'go generate ./...' and commit:" >&2
  git diff --stat -- . >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- ent graph | grep -v "_test.go$" || true)
if [ -n "$untracked" ]; then
  echo "go generate created files that are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "generated code is fresh"
