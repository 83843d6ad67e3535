// Package migrations holds the versioned schema migrations, one directory per
// dialect, and applies them. Files are generated from the ent schema by
// ./gen (run through `go generate`) and never edited after release: a
// database records what it applied, with checksums, and refuses to start if
// an applied file changed.
package migrations

//go:generate go run ./gen
