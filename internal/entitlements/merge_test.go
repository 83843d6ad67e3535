package entitlements

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

var (
	fCalls = uuid.MustParse("00000000-0000-0000-0000-000000000001")
	fSeats = uuid.MustParse("00000000-0000-0000-0000-000000000002")
	fLevel = uuid.MustParse("00000000-0000-0000-0000-000000000003")
	fSSO   = uuid.MustParse("00000000-0000-0000-0000-000000000004")
)

func lim(v float64) *float64 { return &v }

func limit(g *Grant) string {
	switch {
	case g == nil:
		return "none"
	case g.Unlimited:
		return "unlimited"
	case g.UsageLimit == nil:
		return "access"
	}
	return strconv.FormatFloat(*g.UsageLimit, 'f', -1, 64)
}

// TestSubscriptionGrants checks how one subscription's plan chain and
// add-ons combine, against hand-computed limits.
func TestSubscriptionGrants(t *testing.T) {
	base := []Grant{{FeatureID: fCalls, UsageLimit: lim(100)}, {FeatureID: fSeats, UsageLimit: lim(2)}, {FeatureID: fLevel, EnumValues: []string{"email"}}}
	pro := []Grant{{FeatureID: fCalls, UsageLimit: lim(1000)}, {FeatureID: fSSO}, {FeatureID: fLevel, EnumValues: []string{"chat"}}}
	addon := func(f uuid.UUID, l *float64, unlimited bool, b Behavior, q float64) AddonGrant {
		return AddonGrant{Grant: Grant{FeatureID: f, UsageLimit: l, Unlimited: unlimited}, Behavior: b, Quantity: q}
	}
	cases := []struct {
		name   string
		chain  [][]Grant
		addons []AddonGrant
		want   map[uuid.UUID]string
		enums  []string
	}{
		{"plan alone", [][]Grant{base}, nil,
			map[uuid.UUID]string{fCalls: limit(&Grant{UsageLimit: lim(100)}), fSeats: limit(&Grant{UsageLimit: lim(2)}), fSSO: "none"}, []string{"email"}},
		{"child plan hides its base's entitlement of a feature, inherits the rest", [][]Grant{pro, base}, nil,
			map[uuid.UUID]string{fCalls: limit(&Grant{UsageLimit: lim(1000)}), fSeats: limit(&Grant{UsageLimit: lim(2)}), fSSO: "access"}, []string{"chat"}},
		{"add-on increments times its quantity: 2 + 5*3", [][]Grant{base}, []AddonGrant{addon(fSeats, lim(5), false, Increment, 3)},
			map[uuid.UUID]string{fSeats: limit(&Grant{UsageLimit: lim(17)})}, nil},
		{"two add-ons add up: 100 + 50*2 + 10*1", [][]Grant{base}, []AddonGrant{addon(fCalls, lim(50), false, Increment, 2), addon(fCalls, lim(10), false, Increment, 1)},
			map[uuid.UUID]string{fCalls: limit(&Grant{UsageLimit: lim(210)})}, nil},
		{"override replaces the plan's limit: 7*2", [][]Grant{base}, []AddonGrant{addon(fCalls, lim(7), false, Override, 2)},
			map[uuid.UUID]string{fCalls: limit(&Grant{UsageLimit: lim(14)})}, nil},
		{"unlimited add-on makes it unlimited", [][]Grant{base}, []AddonGrant{addon(fCalls, nil, true, Increment, 1)},
			map[uuid.UUID]string{fCalls: "unlimited"}, nil},
		{"an add-on alone grants a feature the plan lacks", [][]Grant{base}, []AddonGrant{addon(fSSO, nil, false, Increment, 1)},
			map[uuid.UUID]string{fSSO: "access"}, nil},
		{"add-on enum values unite with the plan's", [][]Grant{base}, []AddonGrant{{Grant: Grant{FeatureID: fLevel, EnumValues: []string{"phone", "email"}}, Behavior: Increment, Quantity: 1}},
			map[uuid.UUID]string{fLevel: "access"}, []string{"email", "phone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SubscriptionGrants(c.chain, c.addons)
			for f, want := range c.want {
				if l := limit(got[f]); l != want {
					t.Errorf("feature %s: got %s, want %s", f, l, want)
				}
			}
			if c.enums != nil && !slices.Equal(got[fLevel].EnumValues, c.enums) {
				t.Errorf("enum values %v, want %v", got[fLevel].EnumValues, c.enums)
			}
		})
	}
}

// TestMerge checks Stigg's generous rule across subscriptions and grants.
func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	ptr := func(t time.Time) *time.Time { return &t }
	sub := Source{Kind: FromPlan, RefID: "plan"}
	promo := Source{Kind: FromPromotion, RefID: "promo"}
	cases := []struct {
		name      string
		grants    []*Grant
		want      string
		soft      bool
		reset     ResetPeriod
		winner    SourceKind
		enums     []string
		updated   time.Time
		validTill *time.Time
	}{
		{"higher limit wins", []*Grant{{FeatureID: fCalls, Source: sub, UsageLimit: lim(100)}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(500)}},
			limit(&Grant{UsageLimit: lim(500)}), false, "", FromPromotion, nil, t0, nil},
		{"lower promotional limit does not reduce the plan's", []*Grant{{FeatureID: fCalls, Source: sub, UsageLimit: lim(100)}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(5)}},
			limit(&Grant{UsageLimit: lim(100)}), false, "", FromPlan, nil, t0, nil},
		{"unlimited beats any limit", []*Grant{{FeatureID: fCalls, Source: sub, Unlimited: true}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(1e9)}},
			"unlimited", false, "", FromPlan, nil, t0, nil},
		{"a limit beats access without a limit", []*Grant{{FeatureID: fCalls, Source: sub}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(3)}},
			limit(&Grant{UsageLimit: lim(3)}), false, "", FromPromotion, nil, t0, nil},
		{"same limit: soft beats hard", []*Grant{{FeatureID: fCalls, Source: sub, UsageLimit: lim(10)}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(10), SoftLimit: true}},
			limit(&Grant{UsageLimit: lim(10)}), true, "", FromPromotion, nil, t0, nil},
		{"tie keeps the first, with its reset period", []*Grant{{FeatureID: fCalls, Source: sub, UsageLimit: lim(10), ResetPeriod: Month}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(10), ResetPeriod: Day}},
			limit(&Grant{UsageLimit: lim(10)}), false, Month, FromPlan, nil, t0, nil},
		{"the winner's reset period applies", []*Grant{{FeatureID: fCalls, Source: sub, UsageLimit: lim(10), ResetPeriod: Month}, {FeatureID: fCalls, Source: promo, UsageLimit: lim(20), ResetPeriod: Week}},
			limit(&Grant{UsageLimit: lim(20)}), false, Week, FromPromotion, nil, t0, nil},
		{"a promotion alone grants access", []*Grant{{FeatureID: fSSO, Source: promo}},
			"access", false, "", FromPromotion, nil, t0, nil},
		{"enum values unite", []*Grant{{FeatureID: fLevel, Source: sub, EnumValues: []string{"email", "chat"}}, {FeatureID: fLevel, Source: promo, EnumValues: []string{"phone", "chat"}}},
			"access", false, "", FromPlan, []string{"email", "chat", "phone"}, t0, nil},
		{"latest update, earliest end", []*Grant{
			{FeatureID: fSSO, Source: sub, UpdatedAt: day(1), ValidUntil: ptr(day(30))},
			{FeatureID: fSSO, Source: promo, UpdatedAt: day(5), ValidUntil: ptr(day(7))},
			{FeatureID: fSSO, Source: sub, UpdatedAt: day(2)}},
			"access", false, "", FromPlan, nil, day(5), ptr(day(7))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Merge(c.grants)
			if len(got) != 1 {
				t.Fatalf("got %d features, want 1", len(got))
			}
			m := got[0]
			if l := limit(&m.Grant); l != c.want || m.SoftLimit != c.soft || m.ResetPeriod != c.reset || m.Sources[0].Kind != c.winner {
				t.Errorf("got %s soft=%v reset=%q winner=%s, want %s soft=%v reset=%q winner=%s", l, m.SoftLimit, m.ResetPeriod, m.Sources[0].Kind, c.want, c.soft, c.reset, c.winner)
			}
			if len(m.Sources) != len(c.grants) {
				t.Errorf("sources %v: every grant should be listed", m.Sources)
			}
			if c.enums != nil && !slices.Equal(m.EnumValues, c.enums) {
				t.Errorf("enum values %v, want %v", m.EnumValues, c.enums)
			}
			if !c.updated.IsZero() && !m.UpdatedAt.Equal(c.updated) && !(c.updated.Equal(t0) && m.UpdatedAt.IsZero()) {
				t.Errorf("updated %v, want %v", m.UpdatedAt, c.updated)
			}
			if (c.validTill == nil) != (m.ValidUntil == nil) || c.validTill != nil && !c.validTill.Equal(*m.ValidUntil) {
				t.Errorf("validUntil %v, want %v", m.ValidUntil, c.validTill)
			}
		})
	}
	// Features keep the order they first appear in.
	got := Merge([]*Grant{{FeatureID: fSeats}, {FeatureID: fCalls}, {FeatureID: fSeats, Source: promo}})
	if len(got) != 2 || got[0].FeatureID != fSeats || got[1].FeatureID != fCalls {
		t.Fatalf("order: %v", got)
	}
}
