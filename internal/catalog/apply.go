package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// DefaultEnvironment is the environment a file without one loads into.
const DefaultEnvironment = "default"

// Summary counts what Apply did, by kind ("plans", ...).
type Summary struct {
	Environment string
	Created     map[string]int
	Updated     map[string]int
	Unchanged   map[string]int
	Archived    map[string]int
	Deleted     map[string]int
}

func (s *Summary) String() string {
	return fmt.Sprintf("environment %s: created %v, updated %v, unchanged %v, archived %v, deleted %v",
		s.Environment, s.Created, s.Updated, s.Unchanged, s.Archived, s.Deleted)
}

// Apply writes a validated file into its environment in one transaction:
// entries are upserted by refId; entries that left the file are deleted, or
// archived when still in use (a plan or add-on with subscriptions, a coupon
// set on a customer, a price a subscription is billed, a feature an
// archived package entitles). Entries whose declaration did not change are
// not written at all, so applying the same file twice is a no-op. A plan
// whose declaration changed gets a new version (a row of its own, see
// applyPlans), so subscriptions on the previous one keep its content; an
// add-on whose declaration changed is updated in place, its version
// number increased.
func Apply(ctx context.Context, client *ent.Client, now time.Time, f *File) (*Summary, error) {
	if f.byRef.products == nil {
		if err := f.Validate(); err != nil {
			return nil, err
		}
	}
	slug := f.Environment
	if slug == "" {
		slug = DefaultEnvironment
	}
	sum := &Summary{Environment: slug, Created: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{},
		Archived: map[string]int{}, Deleted: map[string]int{}}
	err := store.WithTx(ctx, client, func(tx *ent.Tx) error {
		env, err := tx.Environment.Query().Where(environment.Slug(slug)).Only(ctx)
		if ent.IsNotFound(err) {
			env, err = tx.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx)
		}
		if err != nil {
			return fmt.Errorf("environment %q: %w", slug, err)
		}
		a := &applier{ctx: ctx, tx: tx, env: env.ID, now: now, f: f, sum: sum,
			products: map[string]uuid.UUID{}, features: map[string]uuid.UUID{}, plans: map[string]uuid.UUID{}, addons: map[string]uuid.UUID{}}
		for _, step := range []func() error{a.applyProducts, a.applyFeatures, a.applyCoupons, a.applyAddons, a.applyPlans, a.linkProducts, a.prune} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog %s: apply: %w", f.name, err)
	}
	return sum, nil
}

type applier struct {
	ctx context.Context
	tx  *ent.Tx
	env uuid.UUID
	now time.Time
	f   *File
	sum *Summary
	// ids of the file's entries by refId, once written.
	products, features, plans, addons map[string]uuid.UUID
	// changed lists the packages whose declaration changed (or are new):
	// only their links, entitlements and prices are rewritten.
	changedPlans, changedAddons []*Package
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// count records one outcome for kind.
func (a *applier) count(m map[string]int, kind string) { m[kind]++ }

// setOrClear sets a nillable string column to v, or clears it when v is empty.
func setOrClear[B any](v string, set func(string) B, clear func() B) {
	if v == "" {
		clear()
	} else {
		set(v)
	}
}

// pricingType is the package's declared pricing type, or FREE without
// prices and PAID with.
func pricingType(p *Package) string {
	switch {
	case p.PricingType != "":
		return p.PricingType
	case len(p.Prices) > 0:
		return "PAID"
	}
	return "FREE"
}
