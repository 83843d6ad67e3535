package persisted_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stigg-selfhost/stiggql/internal/persisted"
)

const q = `query Q { customers { totalCount } }`

func TestAllowList(t *testing.T) {
	a := persisted.New(q)
	cases := []struct {
		name string
		raw  graphql.RawParams
		code string
	}{
		{"registered text", graphql.RawParams{Query: q}, ""},
		{"registered hash only", graphql.RawParams{Extensions: map[string]any{"persistedQuery": map[string]any{"version": 1.0, "sha256Hash": persisted.Hash(q)}}}, ""},
		{"other text", graphql.RawParams{Query: `{ __schema { types { name } } }`}, persisted.CodeNotAllowed},
		{"unknown hash", graphql.RawParams{Extensions: map[string]any{"persistedQuery": map[string]any{"sha256Hash": "00"}}}, persisted.CodeNotFound},
		{"nothing", graphql.RawParams{}, persisted.CodeNotFound},
	}
	for _, tc := range cases {
		raw := tc.raw
		err := a.MutateOperationParameters(context.Background(), &raw)
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.code == "" && raw.Query != q:
			t.Errorf("%s: query %q", tc.name, raw.Query)
		case tc.code != "" && (err == nil || err.Extensions["code"] != tc.code):
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "q.graphql"), []byte(q), 0o600); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(t.TempDir(), "m.json")
	_ = os.WriteFile(manifest, []byte(`{"`+persisted.Hash(q)+`": "`+q+`"}`), 0o600)
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"abc": "`+q+`"}`), 0o600)
	array := filepath.Join(t.TempDir(), "a.json")
	_ = os.WriteFile(array, []byte(`["`+q+`"]`), 0o600)
	for _, p := range []string{dir, manifest, array} {
		a, err := persisted.Load(p)
		if err != nil || a.Len() != 1 {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if _, err := persisted.Load(bad); err == nil {
		t.Fatal("a manifest with a wrong hash must not load")
	}
	if _, err := persisted.Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing path must not load")
	}
}
