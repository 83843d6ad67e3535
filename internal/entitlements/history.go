package entitlements

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/usageevent"
	"github.com/stigg-selfhost/stiggql/ent/usagemeasurement"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// HistoryQuery asks for a customer's usage of a feature over a time range
// (usageHistory, usageHistoryV2).
type HistoryQuery struct {
	CustomerRefID string
	FeatureRefID  string
	ResourceID    *string
	Start         time.Time
	// End is now when nil.
	End *time.Time
	// GroupBy names dimensions: one series per combination of their values.
	GroupBy []string
	// ResetPeriod, when set, replaces the entitlement's reset period
	// (usageHistory's resetPeriod and its configuration).
	ResetPeriod *ResetPeriod
	ResetConfig ResetConfig
}

// MaxHistoryRange bounds a history's time range.
const MaxHistoryRange = 2 * 366 * 24 * time.Hour

// History is a usage history: a series of points for the whole usage
// (Total) and, when grouped, one per group, with the reset markers.
type History struct {
	Start, End time.Time
	Total      Series
	Groups     []Series
	Markers    []Marker
}

// Series is the usage of one group over time.
type Series struct {
	Tags   []Tag
	Points []Point
}

// Tag is one dimension value of a group ("" when events lack it).
type Tag struct{ Key, Value string }

// Point is the usage at the end of one bucket (an hour for ranges up to
// two days, a day otherwise), stamped with the bucket's start;
// IsResetPoint when a usage period started within the bucket.
type Point struct {
	Timestamp    time.Time
	Value        float64
	IsResetPoint bool
}

// Marker is an event that affected usage: a periodic reset.
type Marker struct {
	Timestamp time.Time
	Type      string // PERIODIC_RESET
}

// usageItem is one measurement or event, as history folds them.
type usageItem struct {
	at    time.Time
	delta float64
	event *ent.UsageEvent
	dims  map[string]any
}

// History computes a usage history. The value at a bucket's end is the
// usage of the period it falls in, as the entitlement shows it then: the
// sum of the period's reported changes (or the meter's aggregation of its
// events), or, without resets, of every change so far.
func (s *Service) History(ctx context.Context, env uuid.UUID, q HistoryQuery) (*History, error) {
	now := s.Clock.Now()
	end := now
	if q.End != nil {
		end = q.End.UTC()
	}
	start := q.Start.UTC()
	switch {
	case q.CustomerRefID == "":
		return nil, apperr.BadInput("customerId", "customerId must not be empty")
	case q.FeatureRefID == "":
		return nil, apperr.BadInput("featureId", "featureId must not be empty")
	case !end.After(start):
		return nil, apperr.BadInput("endDate", "endDate must be after startDate")
	case end.Sub(start) > MaxHistoryRange:
		return nil, apperr.BadInput("endDate", "the range is longer than two years")
	case q.ResetPeriod != nil && !q.ResetPeriod.Valid():
		return nil, apperr.BadInput("resetPeriod", "unknown reset period %q", *q.ResetPeriod)
	case len(q.GroupBy) > 10:
		return nil, apperr.BadInput("groupBy", "at most 10 groupBy keys")
	}
	st, err := s.compute(ctx, s.Client, env, q.CustomerRefID, q.ResourceID, now)
	if err != nil {
		return nil, err
	}
	if st.Customer == nil {
		return nil, apperr.New(apperr.CustomerNotFound, "customer %q was not found", q.CustomerRefID)
	}
	f, err := s.Client.Feature.Query().Where(feature.EnvironmentID(env), feature.RefID(q.FeatureRefID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.FeatureNotFound, "feature %q was not found", q.FeatureRefID)
	}
	if err != nil {
		return nil, err
	}
	if !Metered(f) {
		return nil, apperr.New(apperr.MeteringNotAvailableForFeatureType, "feature %q is not metered", q.FeatureRefID)
	}
	// The periods: the asked reset period from the entitlement's anchor (or
	// the range's start), else the entitlement's own.
	var period func(t time.Time) time.Time
	e := st.Entitlement(q.FeatureRefID)
	switch {
	case q.ResetPeriod != nil:
		anchor := start
		if e != nil && e.UsagePeriodAnchor != nil {
			anchor = *e.UsagePeriodAnchor
		}
		rp, cfg := *q.ResetPeriod, q.ResetConfig
		period = func(t time.Time) time.Time { s, _ := UsagePeriod(anchor, t, rp, cfg); return s }
	case e != nil && e.UsagePeriodAnchor != nil:
		anchor, rp, cfg := *e.UsagePeriodAnchor, *e.ResetPeriod, *e.ResetConfig
		period = func(t time.Time) time.Time { s, _ := UsagePeriod(anchor, t, rp, cfg); return s }
	default:
		period = func(time.Time) time.Time { return noReset }
	}
	from := period(start)
	rk := resourceKey(q.ResourceID)
	var items []usageItem
	if f.Meter != nil {
		rows, err := s.Client.UsageEvent.Query().Where(usageevent.CustomerID(st.Customer.ID), usageevent.ResourceID(rk),
			usageevent.TimestampGTE(from), usageevent.TimestampLT(end)).Order(ent.Asc(usageevent.FieldTimestamp)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			items = append(items, usageItem{at: r.Timestamp, event: r, dims: r.Dimensions})
		}
	} else {
		rows, err := s.Client.UsageMeasurement.Query().Where(usagemeasurement.CustomerID(st.Customer.ID), usagemeasurement.FeatureID(f.ID),
			usagemeasurement.ResourceID(rk), usagemeasurement.TimestampGTE(from), usagemeasurement.TimestampLT(end)).
			Order(ent.Asc(usagemeasurement.FieldTimestamp), ent.Asc(usagemeasurement.FieldCreatedAt)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			items = append(items, usageItem{at: r.Timestamp, delta: r.Delta, dims: r.Dimensions})
		}
	}
	bucket := 24 * time.Hour
	if end.Sub(start) <= 48*time.Hour {
		bucket = time.Hour
	}
	h := &History{Start: start, End: end}
	var ends []time.Time
	for b := start; b.Before(end); b = b.Add(bucket) {
		ends = append(ends, b)
	}
	// Reset markers: every period start within the range.
	prev := period(start)
	if prev.Equal(start) && !prev.Equal(noReset) {
		h.Markers = append(h.Markers, Marker{Timestamp: start, Type: "PERIODIC_RESET"})
	}
	for _, b := range ends {
		next := b.Add(bucket)
		if next.After(end) {
			next = end
		}
		if p := period(next.Add(-time.Microsecond)); p.After(prev) {
			h.Markers = append(h.Markers, Marker{Timestamp: p, Type: "PERIODIC_RESET"})
			prev = p
		}
	}
	series := func(tags []Tag, items []usageItem) Series {
		out := Series{Tags: tags}
		for _, b := range ends {
			next := b.Add(bucket)
			if next.After(end) {
				next = end
			}
			last := next.Add(-time.Microsecond)
			reset := false
			for _, m := range h.Markers {
				reset = reset || !m.Timestamp.Before(b) && m.Timestamp.Before(next)
			}
			out.Points = append(out.Points, Point{Timestamp: b, Value: valueOf(f, items, period(last), last), IsResetPoint: reset})
		}
		return out
	}
	h.Total = series(nil, items)
	if len(q.GroupBy) > 0 {
		groups := map[string][]usageItem{}
		tags := map[string][]Tag{}
		var order []string
		for _, it := range items {
			var tg []Tag
			var key strings.Builder
			for _, k := range q.GroupBy {
				v := ""
				if x, ok := it.dims[k]; ok && x != nil {
					v = asString(x)
				}
				tg = append(tg, Tag{Key: k, Value: v})
				key.WriteString(v)
				key.WriteByte(0)
			}
			if _, ok := groups[key.String()]; !ok {
				order = append(order, key.String())
				tags[key.String()] = tg
			}
			groups[key.String()] = append(groups[key.String()], it)
		}
		slices.Sort(order)
		for _, k := range order {
			h.Groups = append(h.Groups, series(tags[k], groups[k]))
		}
	}
	return h, nil
}

// valueOf is the usage of the items in [from, to].
func valueOf(f *ent.Feature, items []usageItem, from, to time.Time) float64 {
	if f.Meter != nil {
		events := make([]*ent.UsageEvent, 0, len(items))
		for _, it := range items {
			events = append(events, it.event)
		}
		v, _ := Aggregate(f.Meter, events, from, to)
		return v
	}
	sum := 0.0
	for _, it := range items {
		if !it.at.Before(from) && !it.at.After(to) {
			sum += it.delta
		}
	}
	return sum
}
