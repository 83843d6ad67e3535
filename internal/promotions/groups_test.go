package promotions_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/promotions"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func code(err error) apperr.Code {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func features(refs ...string) promotions.FeatureCheck {
	return func(ctx context.Context, tx *ent.Tx, env uuid.UUID, ref string) error {
		if slices.Contains(refs, ref) {
			return nil
		}
		return apperr.New(apperr.FeatureNotFound, "feature %q was not found", ref)
	}
}

// TestPromotionalGroups grants two groups that share a feature, unlinks
// one and revokes the other, checking which grants remain.
func TestPromotionalGroups(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Client.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID("c1").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		svc := promotions.New(st.Client, clock.NewManual(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)), features("f-a", "f-b", "f-c"))
		granted := func() map[string][]string {
			rows := st.Client.PromotionalEntitlement.Query().Order(ent.Asc(promotionalentitlement.FieldFeatureRefID)).AllX(ctx)
			out := map[string][]string{}
			for _, r := range rows {
				out[r.FeatureRefID] = r.FeatureGroupIds
			}
			return out
		}
		life := promotionalentitlement.GrantPeriodLIFETIME
		g := func(ref string) promotions.Grant { return promotions.Grant{FeatureRefID: ref, Period: life} }

		got, err := svc.GrantGroup(ctx, env.ID, "c1", "deal", []promotions.Grant{g("f-a"), g("f-b")})
		if err != nil || len(got) != 2 || !slices.Equal(got[0].FeatureGroupIds, []string{"deal"}) {
			t.Fatalf("grant deal: %+v, %v", got, err)
		}
		if _, err := svc.GrantGroup(ctx, env.ID, "c1", "addon", []promotions.Grant{g("f-c")}); err != nil {
			t.Fatal(err)
		}
		// A bad grant leaves nothing of its group.
		if _, err := svc.GrantGroup(ctx, env.ID, "c1", "bad", []promotions.Grant{g("f-a"), g("f-x")}); code(err) != apperr.FeatureNotFound {
			t.Fatalf("unknown feature: %v", err)
		}
		if _, err := svc.GrantGroup(ctx, env.ID, "c1", "", []promotions.Grant{g("f-a")}); code(err) != apperr.BadUserInput {
			t.Fatalf("empty group: %v", err)
		}
		if m := granted(); len(m) != 3 || !slices.Equal(m["f-a"], []string{"deal"}) || !slices.Equal(m["f-c"], []string{"addon"}) {
			t.Fatalf("granted %v", m)
		}

		// Unlinking "addon" keeps f-c granted, outside any group.
		un, err := svc.UnlinkGroup(ctx, env.ID, "c1", "addon")
		if err != nil || len(un) != 1 || len(un[0].FeatureGroupIds) != 0 {
			t.Fatalf("unlink: %+v, %v", un, err)
		}
		if _, err := svc.RevokeGroup(ctx, env.ID, "c1", "addon"); code(err) != apperr.PromotionalEntitlementNotFound {
			t.Fatalf("revoke an unlinked group: %v", err)
		}
		// Revoking "deal" removes f-a and f-b only.
		rv, err := svc.RevokeGroup(ctx, env.ID, "c1", "deal")
		if err != nil || len(rv) != 2 || rv[0].FeatureRefID != "f-a" {
			t.Fatalf("revoke: %+v, %v", rv, err)
		}
		if m := granted(); len(m) != 1 || m["f-c"] != nil {
			t.Fatalf("after revoke: %v", m)
		}
		if _, err := svc.RevokeGroup(ctx, env.ID, "nobody", "deal"); code(err) != apperr.CustomerNotFound {
			t.Fatalf("unknown customer: %v", err)
		}
	})
}
