// Package proof holds the production proofs: tests that run the real server
// binary (through internal/proof/serverproc) on loopback and show what
// operators rely on. Several replicas on one PostgreSQL database behave as
// one server (scale-out); concurrent writers neither fail nor lose updates
// (concurrency); kill -9 in the middle of writes leaves a consistent
// database with every acknowledged write (crash); abusive queries are
// refused while normal traffic goes on (abuse); and no failing request shows
// SQL, paths or stacks (leaks).
//
// The default run is short enough for every `go test ./...`. The full-size
// runs are behind the test flag -proof.long or PROOF_LONG=1:
//
//	PROOF_LONG=1 go test ./internal/proof -run . -v -timeout 30m
//
// See docs/operations-proofs.md for what each proof does and what the long
// runs measured.
package proof
