// Package persisted is the allow-list mode of persisted queries: the server
// answers only operations registered in advance, by their SHA-256 hash, as
// automatic persisted queries (APQ) name them. A client may send the hash
// alone or the full text; text that is not on the list is refused before
// parsing. Use it to lock a production server to the operations its own
// frontends ship.
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes of the refusals (Apollo's names for the first two).
const (
	CodeNotFound   = "PERSISTED_QUERY_NOT_FOUND"
	CodeNotAllowed = "PersistedQueryNotAllowed"
)

// AllowList holds the registered operations by hash.
type AllowList struct {
	byHash map[string]string
}

// Hash is the hash APQ clients send: hex SHA-256 of the query text.
func Hash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// New returns an allow-list of the given operation texts.
func New(queries ...string) *AllowList {
	a := &AllowList{byHash: make(map[string]string, len(queries))}
	for _, q := range queries {
		a.byHash[Hash(q)] = q
	}
	return a
}

// Load reads an allow-list from path: a directory of *.graphql files (one
// operation document each), or a JSON file that is either an object of
// hash → query (the manifest Apollo's and Relay's tooling write) or an
// array of query texts. A hash that does not match its text is an error.
func Load(path string) (*AllowList, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("persisted queries: %w", err)
	}
	if info.IsDir() {
		files, err := filepath.Glob(filepath.Join(path, "*.graphql"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		var qs []string
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("persisted queries: %w", err)
			}
			qs = append(qs, string(b))
		}
		if len(qs) == 0 {
			return nil, fmt.Errorf("persisted queries: no *.graphql file in %s", path)
		}
		return New(qs...), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted queries: %w", err)
	}
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		return New(list...), nil
	}
	var manifest map[string]string
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, fmt.Errorf("persisted queries: %s is neither a JSON array of queries nor an object of hash to query", path)
	}
	a := &AllowList{byHash: make(map[string]string, len(manifest))}
	for h, q := range manifest {
		if Hash(q) != strings.ToLower(h) {
			return nil, fmt.Errorf("persisted queries: %s: hash %s does not match its query", path, h)
		}
		a.byHash[strings.ToLower(h)] = q
	}
	return a, nil
}

// Len is the number of registered operations.
func (a *AllowList) Len() int { return len(a.byHash) }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*AllowList)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (a *AllowList) ExtensionName() string { return "PersistedQueryAllowList" }

// Validate implements graphql.HandlerExtension.
func (a *AllowList) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills in the text of a registered hash, and
// refuses unregistered hashes and texts.
func (a *AllowList) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	hash := ""
	if pq, ok := raw.Extensions["persistedQuery"].(map[string]any); ok {
		hash, _ = pq["sha256Hash"].(string)
	}
	if raw.Query == "" {
		q, ok := a.byHash[strings.ToLower(hash)]
		if !ok {
			return &gqlerror.Error{Message: "PersistedQueryNotFound", Extensions: map[string]any{"code": CodeNotFound}}
		}
		raw.Query = q
		return nil
	}
	if _, ok := a.byHash[Hash(raw.Query)]; !ok {
		return &gqlerror.Error{Message: "this server only answers registered operations", Extensions: map[string]any{"code": CodeNotAllowed}}
	}
	return nil
}
