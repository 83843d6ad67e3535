#!/usr/bin/env bash
# Installs the browser builds of GraphiQL, its explorer plugin and React that
# the server serves itself at / (so the playground works offline and under a
# strict Content-Security-Policy), at the versions pinned in
# playground/package-lock.json.
#
# Usage: bash scripts/setup-playground.sh
#
# The files are copied to $PLAYGROUND_ASSETS (default .playground-assets in
# the repository root), where `stiggql serve` looks for them by default.
# Re-running is cheap: nothing is downloaded when the assets already match the
# lock file. Needs Node.js with npm (only for this step, not at run time).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${PLAYGROUND_ASSETS:-.playground-assets}"
pkg="playground"

# Source (in node_modules) and name under $out of every served file. Keep in
# sync with internal/playground (assets.go).
files=(
	"react/umd/react.production.min.js:react.production.min.js"
	"react-dom/umd/react-dom.production.min.js:react-dom.production.min.js"
	"graphiql/graphiql.min.js:graphiql.min.js"
	"graphiql/graphiql.min.css:graphiql.min.css"
	"@graphiql/plugin-explorer/dist/index.umd.js:plugin-explorer.umd.js"
	"@graphiql/plugin-explorer/dist/style.css:plugin-explorer.css"
)
licenses=(react react-dom graphiql @graphiql/plugin-explorer)

hash() { sha256sum "$@" | cut -d' ' -f1; }

stamp="$(cat "$pkg/package.json" "$pkg/package-lock.json" "$root/scripts/setup-playground.sh" | hash)"
if [[ -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp" ]]; then
	ok=1
	for f in "${files[@]}"; do
		[[ -s "$out/${f#*:}" ]] || ok=0
	done
	if ((ok)); then
		echo "playground assets are up to date in $out"
		exit 0
	fi
fi

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
	lic="$(ls "$pkg/node_modules/$p"/LICENSE* 2>/dev/null | head -n1 || true)"
	[[ -n "$lic" ]] && cp "$lic" "$tmp/licenses/${p//\//-}.LICENSE"
done
# Record what was installed, for `stiggql` logs and bug reports.
(cd "$pkg" && node -e '
const lock = require("./package-lock.json");
const names = ["graphiql", "@graphiql/plugin-explorer", "react", "react-dom"];
const v = {};
for (const n of names) v[n] = lock.packages["node_modules/" + n].version;
process.stdout.write(JSON.stringify(v, null, 2) + "\n");
') >"$tmp/versions.json"
echo "$stamp" >"$tmp/.stamp"

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "playground assets installed in $out:"
ls -1 "$out"
