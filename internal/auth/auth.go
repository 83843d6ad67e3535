// Package auth resolves the X-API-KEY header to the environment every read
// and write is scoped to, and manages keys: only a SHA-256 hash of a secret
// is stored, and the secret is shown once, when created.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/apikey"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
)

// HeaderName is the header Stigg's clients send the key in. HTTP header
// names are case-insensitive; net/http canonicalises them.
const HeaderName = "X-API-KEY"

// DefaultEnvironmentSlug names the environment created on first start.
const DefaultEnvironmentSlug = "default"

// Key types (APIKey.key_type). A server key may do everything in its
// environment; a client key (publishable, shipped in web pages) may only run
// what Stigg's browser SDK sends, for one customer at a time (see
// internal/clientaccess).
const (
	KeyTypeServer = "SERVER"
	KeyTypeClient = "CLIENT"
)

// Principal is who a request acts as: one API key of one environment and,
// for a client key with a valid customer token, the customer it is bound to.
type Principal struct {
	EnvironmentID uuid.UUID
	APIKeyID      uuid.UUID
	KeyType       string
	// Customer is the customer id a verified X-CUSTOMER-KEY names; empty
	// without a token. Only client keys carry one.
	Customer string
	// Hardened reports that the environment requires a customer token for
	// client keys (Environment.hardened_client_access).
	Hardened bool

	// signingSecret verifies customer tokens of client keys; never exposed.
	signingSecret string
}

// IsClient reports whether p acts with a client (publishable) key.
func (p *Principal) IsClient() bool { return p != nil && p.KeyType == KeyTypeClient }

// AllowsCustomer returns nil when p may read and act for the customer with
// refId customerID: always for a server key; for a client key, when its
// customer token names that customer, or when there is no token and the
// environment is not hardened. Otherwise an IdentityForbidden error, which
// names neither the other customer nor the token.
func (p *Principal) AllowsCustomer(customerID string) error {
	if !p.IsClient() {
		return nil
	}
	switch {
	case p.Customer != "" && p.Customer != customerID:
		return apperr.New(apperr.IdentityForbidden, "the customer token (X-CUSTOMER-KEY) is for another customer")
	case p.Customer == "" && p.Hardened:
		return apperr.New(apperr.IdentityForbidden, "this environment requires a customer token (X-CUSTOMER-KEY) with client keys")
	}
	return nil
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the request's principal, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Require returns the request's principal or an Unauthenticated error.
func Require(ctx context.Context) (*Principal, error) {
	if p := FromContext(ctx); p != nil {
		return p, nil
	}
	return nil, apperr.New(apperr.Unauthenticated, "a valid X-API-KEY header is required")
}

// Hash returns the stored form of a secret.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a fresh server key in Stigg's format ("server-" and a
// random UUID), 122 bits of randomness.
func NewSecret() string { return newSecret("server-") }

// NewClientSecret returns a fresh client key: "client-" and a random UUID.
func NewClientSecret() string { return newSecret("client-") }

func newSecret(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	u, _ := uuid.FromBytes(b[:])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return prefix + u.String()
}

func prefixOf(secret string) string {
	if len(secret) > 12 {
		return secret[:12]
	}
	return secret
}

// Authenticator checks keys against the store. Valid keys are cached for a
// short time so that authentication costs no query on the hot path; a
// revoked key stops working within CacheTTL.
type Authenticator struct {
	client *ent.Client
	clock  clock.Clock

	mu    sync.Mutex
	cache map[string]cached
}

// CacheTTL bounds how long a key stays valid in memory after its last check.
const CacheTTL = 30 * time.Second

type cached struct {
	p       *Principal
	expires time.Time // real time: the cache's own bound
	// keyExpires is the key's expiry, checked on the injected clock at
	// every hit (a test clock may pass it within CacheTTL).
	keyExpires *time.Time
}

// NewAuthenticator returns an Authenticator over client.
func NewAuthenticator(client *ent.Client, clk clock.Clock) *Authenticator {
	return &Authenticator{client: client, clock: clk, cache: map[string]cached{}}
}

// Authenticate returns the principal of secret, or an Unauthenticated error.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	if secret == "" {
		return nil, apperr.New(apperr.Unauthenticated, "missing X-API-KEY header")
	}
	h := Hash(secret)
	now := time.Now()
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Before(c.expires) && (c.keyExpires == nil || c.keyExpires.After(a.clock.Now())) {
		return c.p, nil
	}
	k, err := a.client.APIKey.Query().Where(apikey.SecretHash(h), apikey.RevokedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.Unauthenticated, "the API key is not valid")
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key: %w", err)
	}
	if k.ExpireAt != nil && !k.ExpireAt.After(a.clock.Now()) {
		return nil, apperr.New(apperr.Unauthenticated, "the API key has expired")
	}
	p := &Principal{EnvironmentID: k.EnvironmentID, APIKeyID: k.ID, KeyType: string(k.KeyType)}
	if p.IsClient() {
		// Only client keys read their environment's settings: a server
		// key's authentication stays one statement.
		env, err := a.client.Environment.Get(ctx, k.EnvironmentID)
		if err != nil {
			return nil, fmt.Errorf("environment of api key: %w", err)
		}
		p.Hardened = env.HardenedClientAccess
		if env.SigningSecret != nil {
			p.signingSecret = *env.SigningSecret
		} else if p.signingSecret, err = SigningSecret(ctx, a.client, env.ID); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		a.cache = map[string]cached{}
	}
	a.cache[h] = cached{p: p, expires: now.Add(CacheTTL), keyExpires: k.ExpireAt}
	a.mu.Unlock()
	return p, nil
}

// AuthenticateRequest authenticates a request's key and, for a client key,
// its customer token (the X-CUSTOMER-KEY header, empty when absent). A token
// that does not verify is Unauthenticated, as a wrong key is; a server key's
// token is ignored (a server key is not limited to one customer).
func (a *Authenticator) AuthenticateRequest(ctx context.Context, secret, customerToken string) (*Principal, error) {
	p, err := a.Authenticate(ctx, secret)
	if err != nil || customerToken == "" || !p.IsClient() {
		return p, err
	}
	id, ok := VerifyCustomerToken(p.signingSecret, customerToken)
	if !ok {
		return nil, apperr.New(apperr.Unauthenticated, "the customer token (X-CUSTOMER-KEY) is not valid")
	}
	bound := *p
	bound.Customer = id
	return &bound, nil
}

// CreatedKey is a key just created: Secret is shown once and never stored.
type CreatedKey struct {
	Environment *ent.Environment
	Key         *ent.APIKey
	Secret      string
}

// CreateKey creates a server key for the environment with the given slug,
// creating the environment first when it does not exist. A non-empty secret
// is used as is (STIGG_API_KEY); otherwise a random one is made.
func CreateKey(ctx context.Context, client *ent.Client, slug, secret string) (*CreatedKey, error) {
	return CreateKeyOfType(ctx, client, slug, KeyTypeServer, secret)
}

// CreateKeyOfType is CreateKey for a key of the given type (KeyTypeServer or
// KeyTypeClient).
func CreateKeyOfType(ctx context.Context, client *ent.Client, slug, keyType, secret string) (*CreatedKey, error) {
	if slug == "" {
		return nil, errors.New("environment name is required")
	}
	display := "Server key"
	switch keyType {
	case KeyTypeServer:
		if secret == "" {
			secret = NewSecret()
		}
	case KeyTypeClient:
		display = "Client key"
		if secret == "" {
			secret = NewClientSecret()
		}
	default:
		return nil, fmt.Errorf("unknown key type %q (server or client)", keyType)
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	env, err := tx.Environment.Query().Where(environment.Slug(slug)).Only(ctx)
	if ent.IsNotFound(err) {
		env, err = tx.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("environment %q: %w", slug, err)
	}
	k, err := tx.APIKey.Create().
		SetEnvironmentID(env.ID).
		SetDisplayName(display).
		SetKeyType(apikey.KeyType(keyType)).
		SetSecretHash(Hash(secret)).
		SetPrefix(prefixOf(secret)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create api key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &CreatedKey{Environment: env, Key: k, Secret: secret}, nil
}

// Bootstrap prepares a store for its first request. On an empty store it
// creates the default environment with a server key and returns it (the
// caller prints the secret once). When envSecret is set, that exact key is
// made valid for the default environment, so scripts need not read logs.
// It returns nil when nothing new was created.
//
// Replicas started together on a new database run it at the same moment:
// the one that loses the race to create the environment or the key sees a
// unique constraint fail, and finds the winner's rows on its next look.
func Bootstrap(ctx context.Context, client *ent.Client, envSecret string) (*CreatedKey, error) {
	for attempt := 0; ; attempt++ {
		k, err := bootstrap(ctx, client, envSecret)
		if attempt < 3 && ent.IsConstraintError(err) {
			continue
		}
		return k, err
	}
}

func bootstrap(ctx context.Context, client *ent.Client, envSecret string) (*CreatedKey, error) {
	if envSecret != "" {
		exists, err := client.APIKey.Query().Where(apikey.SecretHash(Hash(envSecret))).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, nil
		}
		return CreateKey(ctx, client, DefaultEnvironmentSlug, envSecret)
	}
	n, err := client.Environment.Query().Count(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nil
	}
	return CreateKey(ctx, client, DefaultEnvironmentSlug, "")
}

// ListKeys writes one line per key: id, environment, type, prefix, created,
// and revoked time if any. Secrets are never stored, so never listed.
func ListKeys(ctx context.Context, client *ent.Client, w io.Writer) error {
	ks, err := client.APIKey.Query().WithEnvironment().Order(ent.Asc(apikey.FieldCreatedAt)).All(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-36s  %-20s  %-6s  %-14s  %s\n", "ID", "ENVIRONMENT", "TYPE", "PREFIX", "CREATED")
	for _, k := range ks {
		env := k.EnvironmentID.String()
		if k.Edges.Environment != nil {
			env = k.Edges.Environment.Slug
		}
		line := fmt.Sprintf("%-36s  %-20s  %-6s  %-14s  %s", k.ID, env, k.KeyType, k.Prefix+"…", k.CreatedAt.Format(time.RFC3339))
		if k.RevokedAt != nil {
			line += "  revoked " + k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
