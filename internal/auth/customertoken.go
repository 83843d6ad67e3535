package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/environment"
)

// CustomerTokenHeader carries the customer token of a client key's request,
// as Stigg's browser SDK sends it (its customerToken option).
const CustomerTokenHeader = "X-CUSTOMER-KEY"

// customerTokenScheme starts every customer token: Stigg's format is
// "HMAC-SHA256 <customerId>:<hex HMAC-SHA256 of customerId>".
const customerTokenScheme = "HMAC-SHA256 "

// CustomerToken returns the token that binds a client key's requests to
// customerID, signed with an environment's signing secret. A customer's
// backend makes the same string (README: "Customer tokens"):
//
//	"HMAC-SHA256 " + customerID + ":" + hex(HMAC-SHA256(key=secret, msg=customerID))
func CustomerToken(secret, customerID string) string {
	return customerTokenScheme + customerID + ":" + sign(secret, customerID)
}

func sign(secret, customerID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(customerID))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyCustomerToken returns the customer id token names when its
// signature is secret's, comparing in constant time. The customer id may
// itself contain ':' (the signature is after the last one).
func VerifyCustomerToken(secret, token string) (string, bool) {
	if secret == "" || !strings.HasPrefix(token, customerTokenScheme) {
		return "", false
	}
	rest := token[len(customerTokenScheme):]
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", false
	}
	id, sig := rest[:i], rest[i+1:]
	got, err := hex.DecodeString(sig)
	if err != nil {
		return "", false
	}
	want, _ := hex.DecodeString(sign(secret, id))
	if !hmac.Equal(got, want) {
		return "", false
	}
	return id, true
}

// SigningSecret returns the environment's signing secret, making it on
// first use. Concurrent first uses (replicas included) agree: only the
// update that finds no secret writes one, and every caller reads back the
// stored value.
func SigningSecret(ctx context.Context, client *ent.Client, envID uuid.UUID) (string, error) {
	env, err := client.Environment.Get(ctx, envID)
	if err != nil {
		return "", fmt.Errorf("environment: %w", err)
	}
	if env.SigningSecret != nil {
		return *env.SigningSecret, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	if _, err := client.Environment.Update().
		Where(environment.ID(envID), environment.SigningSecretIsNil()).
		SetSigningSecret("sign-" + hex.EncodeToString(b[:])).
		Save(ctx); err != nil {
		return "", fmt.Errorf("store signing secret: %w", err)
	}
	env, err = client.Environment.Get(ctx, envID)
	if err != nil {
		return "", err
	}
	if env.SigningSecret == nil {
		return "", errors.New("signing secret was not stored")
	}
	return *env.SigningSecret, nil
}

// EnvironmentBySlug returns the environment named slug, or an error naming it.
func EnvironmentBySlug(ctx context.Context, client *ent.Client, slug string) (*ent.Environment, error) {
	env, err := client.Environment.Query().Where(environment.Slug(slug)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("environment %q does not exist (create it with `keys create --environment %s`)", slug, slug)
	}
	return env, err
}

// MintCustomerToken returns a customer token for customerID in the
// environment named slug (the `keys customer-token` command).
func MintCustomerToken(ctx context.Context, client *ent.Client, slug, customerID string) (string, error) {
	if customerID == "" {
		return "", errors.New("a customer id is required")
	}
	env, err := EnvironmentBySlug(ctx, client, slug)
	if err != nil {
		return "", err
	}
	secret, err := SigningSecret(ctx, client, env.ID)
	if err != nil {
		return "", err
	}
	return CustomerToken(secret, customerID), nil
}

// SetHardened turns hardened client access on or off for the environment
// named slug. Servers see the change within CacheTTL.
func SetHardened(ctx context.Context, client *ent.Client, slug string, on bool) error {
	env, err := EnvironmentBySlug(ctx, client, slug)
	if err != nil {
		return err
	}
	return client.Environment.UpdateOneID(env.ID).SetHardenedClientAccess(on).Exec(ctx)
}
