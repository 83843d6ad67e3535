package auth

import (
	"context"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/apikey"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestExpiredKeyRefusedOnTheInjectedClock checks that a key's expiry is
// read on the authenticator's clock even while the key is cached: a clock
// moved past it (a test clock) refuses the key at once, not CacheTTL later.
func TestExpiredKeyRefusedOnTheInjectedClock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		created, err := CreateKey(ctx, st.Client, "default", "server-expiring")
		if err != nil {
			t.Fatal(err)
		}
		clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err := st.Client.APIKey.Update().Where(apikey.SecretHash(Hash(created.Secret))).
			SetExpireAt(clk.Now().Add(time.Hour)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		a := NewAuthenticator(st.Client, clk)
		if _, err := a.Authenticate(ctx, created.Secret); err != nil {
			t.Fatalf("before its expiry: %v", err)
		}
		clk.Advance(time.Hour)
		_, err = a.Authenticate(ctx, created.Secret)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Unauthenticated {
			t.Fatalf("at its expiry, cached: %v, want Unauthenticated", err)
		}
	})
}
