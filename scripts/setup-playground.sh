#!/usr/bin/env bash
# Refreshes the browser builds of GraphiQL, its explorer plugin and React
# that are committed under internal/playground/vendor and embedded in the
# binary (go:embed), so the playground works offline and under a strict
# Content-Security-Policy. Users never run this: `go run .` serves the
# committed files. Maintainers run it after changing the pins in
# playground/package.json (then `npm install` there to update the lock file),
# review the diff, and commit vendor/ with its SHA256SUMS manifest, which
# internal/playground's tests verify.
#
# Usage: bash scripts/setup-playground.sh [DIR]
#
# DIR defaults to internal/playground/vendor. Another DIR makes a copy that
# `stiggql serve --playground-assets DIR` serves instead of the embedded
# files. Needs Node.js with npm (only for this step, not at run time).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-internal/playground/vendor}"
pkg="playground"

# Source (in node_modules) and name under $out of every served file. Keep in
# sync with internal/playground (Assets in playground.go).
files=(
	"react/umd/react.production.min.js:react.production.min.js"
	"react-dom/umd/react-dom.production.min.js:react-dom.production.min.js"
	"graphiql/graphiql.min.js:graphiql.min.js"
	"graphiql/graphiql.min.css:graphiql.min.css"
	"@graphiql/plugin-explorer/dist/index.umd.js:plugin-explorer.umd.js"
	"@graphiql/plugin-explorer/dist/style.css:plugin-explorer.css"
)
licenses=(react react-dom graphiql @graphiql/plugin-explorer)

if ! command -v npm >/dev/null 2>&1; then
	echo "setup-playground: npm is required (install Node.js 18 or later)" >&2
	exit 1
fi

echo "installing pinned playground packages (npm ci in $pkg/)"
(cd "$pkg" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/licenses"
for f in "${files[@]}"; do
	src="$pkg/node_modules/${f%%:*}"
	if [[ ! -s "$src" ]]; then
		echo "setup-playground: $src is missing from the installed package" >&2
		exit 1
	fi
	cp "$src" "$tmp/${f#*:}"
done
for p in "${licenses[@]}"; do
	name="$(echo "$p" | tr -d @ | tr / -).LICENSE"
	lic="$(ls "$pkg/node_modules/$p"/LICENSE* 2>/dev/null | head -n1 || true)"
	if [[ -n "$lic" ]]; then
		cp "$lic" "$tmp/licenses/$name"
		continue
	fi
	# @graphiql/plugin-explorer ships no LICENSE file: its package.json
	# declares MIT, and it comes from the same repository as graphiql
	# (github.com/graphql/graphiql), whose MIT license text applies.
	spdx="$(cd "$pkg" && node -p "require('./node_modules/$p/package.json').license")"
	{
		echo "$p is licensed $spdx (its package.json); it is published from"
		echo "https://github.com/graphql/graphiql, whose license follows."
		echo
		cat "$pkg/node_modules/graphiql/LICENSE"
	} >"$tmp/licenses/$name"
done
# Record what was installed, for bug reports (and the page's footer).
(cd "$pkg" && node -e '
const lock = require("./package-lock.json");
const names = ["graphiql", "@graphiql/plugin-explorer", "react", "react-dom"];
const v = {};
for (const n of names) v[n] = lock.packages["node_modules/" + n].version;
process.stdout.write(JSON.stringify(v, null, 2) + "\n");
') >"$tmp/versions.json"
# The checksum manifest, verified by internal/playground's tests.
(cd "$tmp" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "playground assets in $out:"
(cd "$out" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
