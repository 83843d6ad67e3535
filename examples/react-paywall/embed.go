// Package reactpaywall holds the example page built from this directory
// (`npm run build`, Vite + React on @stigg/react-sdk 5.28.2): the server
// serves it under /examples/paywall/ with --example-paywall. The build is
// committed so that the server and its tests need no Node.js; rebuild it
// with `npm ci && npm run build` after changing src/.
package reactpaywall

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Files returns the built page: index.html and assets/.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	return sub
}
