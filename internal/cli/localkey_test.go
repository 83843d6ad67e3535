package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestLocalKeyFile: the file is written owner-only, read back only while
// it stays private and names a valid key of the database.
func TestLocalKeyFile(t *testing.T) {
	ctx := context.Background()
	st := testdb.Open(t, testdb.SQLite)
	k, err := auth.CreateKey(ctx, st.Client, auth.DefaultEnvironmentSlug, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stigg.db.key")
	if got, err := readLocalKey(ctx, st.Client, path); got != "" || err != nil {
		t.Fatalf("no file: %q %v", got, err)
	}
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeLocalKey(path, k.Secret); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after writing over a 0644 file", fi.Mode().Perm())
	}
	if got, err := readLocalKey(ctx, st.Client, path); got != k.Secret || err != nil {
		t.Fatalf("read back: %q %v", got, err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if got, err := readLocalKey(ctx, st.Client, path); got != "" || err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("group-readable file: %q %v", got, err)
	}
	if err := writeLocalKey(path, "server-not-a-key-of-this-database"); err != nil {
		t.Fatal(err)
	}
	if got, err := readLocalKey(ctx, st.Client, path); got != "" || err == nil || !strings.Contains(err.Error(), "no valid key") {
		t.Fatalf("foreign key: %q %v", got, err)
	}
	for url, want := range map[string]string{"file:/d/s.db": "/d/s.db.key", "postgres://u@h/db": "", "file::memory:": ""} {
		if got := localKeyFile(url); got != want {
			t.Errorf("localKeyFile(%q) = %q, want %q", url, got, want)
		}
	}
}
