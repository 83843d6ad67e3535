package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

// The local key file keeps the default environment's key that this program
// made itself (first start, or seed on a database without keys) next to an
// SQLite database, as DATABASE.key, readable by its owner only, so that a
// server restarted on this machine presets it in the playground again.
// The server reads it only when it listens on a loopback address. There is
// none for PostgreSQL: that database is shared by replicas on other
// machines, and a file beside one process would be a copy of a secret with
// no owner; give such a server its key with --api-key / STIGG_API_KEY.

// localKeyFile returns the key file of the database dbURL, or "" when it
// has none (PostgreSQL, in-memory SQLite).
func localKeyFile(dbURL string) string {
	if p := db.FilePath(dbURL); p != "" {
		return p + ".key"
	}
	return ""
}

// writeLocalKey stores secret in path, owner-readable only.
func writeLocalKey(path, secret string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// An older file may have looser permissions: tighten them.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, secret+"\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readLocalKey returns the key in path when it is there, private to its
// owner and still a valid key of the database; "" with no error when there
// is no file.
func readLocalKey(ctx context.Context, client *ent.Client, path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is readable by others (mode %v); not using it: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	secret := strings.TrimSpace(string(raw))
	if _, err := auth.NewAuthenticator(client, clock.System{}).Authenticate(ctx, secret); err != nil {
		return "", fmt.Errorf("%s holds no valid key of this database (revoked, or the database was replaced): %v", path, err)
	}
	return secret, nil
}

// printCreatedKey tells the user about a key just made for them.
func printCreatedKey(w io.Writer, k *auth.CreatedKey, keyFile string) {
	fmt.Fprintf(w, "Created environment %q with a server API key:\n\n    %s\n\n", k.Environment.Slug, k.Secret)
	if keyFile != "" {
		fmt.Fprintf(w, "Send it as the X-API-KEY header. It is kept in %s (readable by you only),\nand the playground presets it while the server listens on this machine only.\n\n", keyFile)
		return
	}
	fmt.Fprint(w, "Send it as the X-API-KEY header. It is shown once: keep it.\n\n")
}
