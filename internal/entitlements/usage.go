package entitlements

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/entitlementcheck"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/usagecounter"
	"github.com/stigg-selfhost/stiggql/ent/usageevent"
	"github.com/stigg-selfhost/stiggql/ent/usagemeasurement"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// UpdateBehavior is how a usage report changes the usage: DELTA adds the
// value (negative to decrease), SET replaces the usage with it.
type UpdateBehavior string

// The update behaviors.
const (
	Delta UpdateBehavior = "DELTA"
	Set   UpdateBehavior = "SET"
)

// MaxBatch bounds the reports of one reportUsageBulk and the events of one
// reportEvent.
const MaxBatch = 1000

// UsageReport is one usage report (ReportUsageInput).
type UsageReport struct {
	CustomerRefID string
	FeatureRefID  string
	ResourceID    *string
	Value         float64
	// Behavior is DELTA when empty.
	Behavior UpdateBehavior
	// CreatedAt is when the usage happened; now when nil.
	CreatedAt  *time.Time
	Dimensions map[string]any
}

// Measurement is an accepted usage report and the usage after it
// (UsageMeasurementWithCurrentUsage).
type Measurement struct {
	ID            uuid.UUID
	EnvironmentID uuid.UUID
	CustomerRefID string
	FeatureRefID  string
	ResourceID    *string
	Value         float64
	// CurrentUsage is the usage of the report's period after the report.
	CurrentUsage float64
	// Timestamp is when the usage happened; CreatedAt when it was recorded.
	Timestamp time.Time
	CreatedAt time.Time
	// UsagePeriodStart and UsagePeriodEnd bound the report's period, nil
	// when usage never resets; NextResetDate is UsagePeriodEnd.
	UsagePeriodStart, UsagePeriodEnd *time.Time
}

// UsageChange is what a UsageHook sees: the usage of Feature changed for
// the customer (Feature nil: raw events arrived, any event-metered feature
// may have changed). Measurement is set for reported usage.
type UsageChange struct {
	EnvironmentID uuid.UUID
	Customer      *ent.Customer
	ResourceID    *string
	Feature       *ent.Feature
	Measurement   *Measurement
}

// UsageHook observes usage changes inside their transaction.
type UsageHook func(ctx context.Context, tx *ent.Tx, ch UsageChange) error

func (s *Service) runHooks(ctx context.Context, tx *ent.Tx, ch UsageChange) error {
	for _, h := range s.Hooks {
		if err := h(ctx, tx, ch); err != nil {
			return err
		}
	}
	return nil
}

func validateReports(reports []UsageReport) error {
	if len(reports) == 0 || len(reports) > MaxBatch {
		return apperr.BadInput("usages", "give 1 to %d usage reports, got %d", MaxBatch, len(reports))
	}
	for i, r := range reports {
		field := func(name string) string {
			if len(reports) == 1 {
				return name
			}
			return fmt.Sprintf("usages[%d].%s", i, name)
		}
		switch {
		case r.CustomerRefID == "":
			return apperr.BadInput(field("customerId"), "customerId must not be empty")
		case r.FeatureRefID == "":
			return apperr.BadInput(field("featureId"), "featureId must not be empty")
		case math.IsNaN(r.Value) || math.IsInf(r.Value, 0):
			return apperr.BadInput(field("value"), "value must be a finite number")
		case r.Behavior != "" && r.Behavior != Delta && r.Behavior != Set:
			return apperr.BadInput(field("updateBehavior"), "updateBehavior must be DELTA or SET")
		case r.Behavior == Set && r.Value < 0:
			return apperr.BadInput(field("value"), "a SET value must not be negative")
		case r.ResourceID != nil && (*r.ResourceID == "" || len(*r.ResourceID) > 255):
			return apperr.BadInput(field("resourceId"), "resourceId must be 1 to 255 characters")
		}
	}
	return nil
}

// ReportUsage records usage reports (reportUsage, reportUsageBulk) in one
// transaction: all are accepted or none. Each names a live customer (else
// CustomerNotFound or CustomerIsArchived) and a metered feature of env
// (else FeatureNotFound, or MeteringNotAvailableForFeatureType for a
// feature that is not metered, or
// CannotReportUsageForEntitlementWithMeterError for one whose meter counts
// events). The usage lands in the counter of the period containing the
// report's createdAt, by the customer's current entitlement of the feature
// (no reset without one), with one atomic upsert: concurrent reports never
// lose an update on SQLite or PostgreSQL.
func (s *Service) ReportUsage(ctx context.Context, env uuid.UUID, reports []UsageReport) ([]*Measurement, error) {
	if err := validateReports(reports); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	var out []*Measurement
	err := store.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
		out = out[:0]
		client := tx.Client()
		states := map[[2]string]*State{}
		for _, r := range reports {
			key := [2]string{r.CustomerRefID, resourceKey(r.ResourceID)}
			st := states[key]
			if st == nil {
				var err error
				if st, err = s.compute(ctx, client, env, r.CustomerRefID, r.ResourceID, now); err != nil {
					return err
				}
				states[key] = st
			}
			m, f, err := s.apply(ctx, client, env, st, r, now)
			if err != nil {
				return err
			}
			out = append(out, m)
			if err := s.runHooks(ctx, tx, UsageChange{EnvironmentID: env, Customer: st.Customer, ResourceID: r.ResourceID, Feature: f, Measurement: m}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// apply writes one report.
func (s *Service) apply(ctx context.Context, client *ent.Client, env uuid.UUID, st *State, r UsageReport, now time.Time) (*Measurement, *ent.Feature, error) {
	if st.Customer == nil {
		if st.Archived {
			return nil, nil, apperr.New(apperr.CustomerIsArchived, "customer %q is archived", r.CustomerRefID)
		}
		return nil, nil, apperr.New(apperr.CustomerNotFound, "customer %q was not found", r.CustomerRefID)
	}
	e := st.Entitlement(r.FeatureRefID)
	var f *ent.Feature
	if e != nil {
		f = e.Feature
	} else {
		var err error
		f, err = client.Feature.Query().Where(feature.EnvironmentID(env), feature.RefID(r.FeatureRefID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, nil, apperr.New(apperr.FeatureNotFound, "feature %q was not found", r.FeatureRefID)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	switch {
	case !Metered(f):
		return nil, nil, apperr.New(apperr.MeteringNotAvailableForFeatureType, "feature %q is not metered", r.FeatureRefID)
	case f.Meter != nil:
		return nil, nil, apperr.New(apperr.CannotReportUsageForEntitlementWithMeterError, "feature %q counts events with its meter: report events instead", r.FeatureRefID)
	}
	at := now
	if r.CreatedAt != nil {
		at = r.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	period, periodEnd := periodKey(e, at)
	rk := resourceKey(r.ResourceID)
	behavior := r.Behavior
	if behavior == "" {
		behavior = Delta
	}
	// One upsert creates the counter or adds to it atomically; for SET it
	// adds nothing but takes the row's lock (PostgreSQL; SQLite
	// transactions are serialised), so that the read and write below
	// cannot interleave with another report.
	add := r.Value
	if behavior == Set {
		add = 0
	}
	err := client.UsageCounter.Create().SetEnvironmentID(env).SetCustomerID(st.Customer.ID).SetFeatureID(f.ID).
		SetResourceID(rk).SetPeriodStart(period).SetValue(add).SetCreatedAt(now).SetUpdatedAt(now).
		OnConflictColumns(usagecounter.FieldCustomerID, usagecounter.FieldFeatureID, usagecounter.FieldResourceID, usagecounter.FieldPeriodStart).
		Update(func(u *ent.UsageCounterUpsert) { u.AddValue(add).SetUpdatedAt(now) }).
		Exec(ctx)
	if err != nil {
		return nil, nil, errf(err, "usage counter")
	}
	ctr, err := client.UsageCounter.Query().Where(usagecounter.CustomerID(st.Customer.ID), usagecounter.FeatureID(f.ID),
		usagecounter.ResourceID(rk), usagecounter.PeriodStart(period)).Only(ctx)
	if err != nil {
		return nil, nil, errf(err, "usage counter")
	}
	delta, current := r.Value, ctr.Value
	if behavior == Set {
		delta, current = r.Value-ctr.Value, r.Value
		if err := client.UsageCounter.UpdateOne(ctr).SetValue(r.Value).SetUpdatedAt(now).Exec(ctx); err != nil {
			return nil, nil, errf(err, "usage counter")
		}
	}
	row, err := client.UsageMeasurement.Create().SetEnvironmentID(env).SetCustomerID(st.Customer.ID).SetFeatureID(f.ID).
		SetResourceID(rk).SetValue(r.Value).SetUpdateBehavior(usagemeasurement.UpdateBehavior(behavior)).SetDelta(delta).
		SetCurrentUsage(current).SetPeriodStart(period).SetTimestamp(at).SetDimensions(r.Dimensions).
		SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return nil, nil, errf(err, "usage measurement")
	}
	m := &Measurement{ID: row.ID, EnvironmentID: env, CustomerRefID: r.CustomerRefID, FeatureRefID: f.RefID, ResourceID: r.ResourceID,
		Value: r.Value, CurrentUsage: current, Timestamp: at, CreatedAt: now}
	if periodEnd != nil {
		start := period
		m.UsagePeriodStart, m.UsagePeriodEnd = &start, periodEnd
	}
	return m, f, nil
}

// Event is one raw usage event (UsageEventReportInput).
type Event struct {
	CustomerRefID  string
	ResourceID     *string
	EventName      string
	IdempotencyKey string
	// Timestamp is when the event happened; now when nil.
	Timestamp  *time.Time
	Dimensions map[string]any
}

// ReportEvents stores raw events (reportEvent) in one transaction, each
// once per idempotency key (a key seen before, or twice in the batch, is
// skipped), and returns how many were new. Each names a live customer
// (else CustomerNotFound or CustomerIsArchived, nothing stored). Features
// whose meter matches the events count them when usage is next read.
func (s *Service) ReportEvents(ctx context.Context, env uuid.UUID, events []Event) (int, error) {
	if len(events) == 0 || len(events) > MaxBatch {
		return 0, apperr.BadInput("usageEvents", "give 1 to %d usage events, got %d", MaxBatch, len(events))
	}
	for i, e := range events {
		field := func(name string) string { return fmt.Sprintf("usageEvents[%d].%s", i, name) }
		switch {
		case e.CustomerRefID == "":
			return 0, apperr.BadInput(field("customerId"), "customerId must not be empty")
		case e.EventName == "" || len(e.EventName) > 255:
			return 0, apperr.BadInput(field("eventName"), "eventName must be 1 to 255 characters")
		case e.IdempotencyKey == "" || len(e.IdempotencyKey) > 255:
			return 0, apperr.BadInput(field("idempotencyKey"), "idempotencyKey must be 1 to 255 characters")
		case e.ResourceID != nil && (*e.ResourceID == "" || len(*e.ResourceID) > 255):
			return 0, apperr.BadInput(field("resourceId"), "resourceId must be 1 to 255 characters")
		}
	}
	var stored int
	var err error
	// A concurrent batch may store one of the keys first: the unique index
	// refuses the second insert, and a retry skips the key.
	for attempt := 0; attempt < 3; attempt++ {
		stored, err = s.reportEvents(ctx, env, events)
		if err == nil || !ent.IsConstraintError(err) {
			break
		}
	}
	return stored, err
}

func (s *Service) reportEvents(ctx context.Context, env uuid.UUID, events []Event) (int, error) {
	now := s.Clock.Now()
	stored := 0
	err := store.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
		stored = 0
		client := tx.Client()
		keys := make([]string, len(events))
		for i, e := range events {
			keys[i] = e.IdempotencyKey
		}
		existing, err := client.UsageEvent.Query().Where(usageevent.EnvironmentID(env), usageevent.IdempotencyKeyIn(keys...)).
			Select(usageevent.FieldIdempotencyKey).Strings(ctx)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, k := range existing {
			seen[k] = true
		}
		customers := map[string]*ent.Customer{}
		type scope struct {
			c *ent.Customer
			r string
		}
		changed := map[scope]*string{}
		var creates []*ent.UsageEventCreate
		for _, e := range events {
			c, ok := customers[e.CustomerRefID]
			if !ok {
				var archived bool
				c, archived, err = liveCustomer(ctx, client, env, e.CustomerRefID)
				if err != nil {
					return err
				}
				if c == nil && archived {
					return apperr.New(apperr.CustomerIsArchived, "customer %q is archived", e.CustomerRefID)
				}
				if c == nil {
					return apperr.New(apperr.CustomerNotFound, "customer %q was not found", e.CustomerRefID)
				}
				customers[e.CustomerRefID] = c
			}
			if seen[e.IdempotencyKey] {
				continue
			}
			seen[e.IdempotencyKey] = true
			at := now
			if e.Timestamp != nil {
				at = e.Timestamp.UTC().Truncate(time.Microsecond)
			}
			creates = append(creates, client.UsageEvent.Create().SetEnvironmentID(env).SetCustomerID(c.ID).
				SetResourceID(resourceKey(e.ResourceID)).SetEventName(e.EventName).SetIdempotencyKey(e.IdempotencyKey).
				SetTimestamp(at).SetDimensions(e.Dimensions).SetCreatedAt(now).SetUpdatedAt(now))
			changed[scope{c, resourceKey(e.ResourceID)}] = e.ResourceID
		}
		if len(creates) > 0 {
			if err := client.UsageEvent.CreateBulk(creates...).Exec(ctx); err != nil {
				return err
			}
		}
		stored = len(creates)
		for sc, r := range changed {
			if err := s.runHooks(ctx, tx, UsageChange{EnvironmentID: env, Customer: sc.c, ResourceID: r}); err != nil {
				return err
			}
		}
		return nil
	})
	return stored, err
}

// CheckReport is one reportEntitlementCheckRequested call: a check the
// SDK answered from its cache.
type CheckReport struct {
	CustomerRefID      string
	FeatureRefID       string
	ResourceID         *string
	HasAccess          bool
	AccessDeniedReason *string
	RequestedUsage     *float64
	RequestedValues    []string
}

// RecordCheck stores a reported entitlement check, so that checks can be
// counted (CountChecks). The customer and feature need not exist: a check
// that found neither is worth counting too.
func (s *Service) RecordCheck(ctx context.Context, env uuid.UUID, r CheckReport) error {
	switch {
	case r.CustomerRefID == "" || len(r.CustomerRefID) > 255:
		return apperr.BadInput("customerId", "customerId must be 1 to 255 characters")
	case r.FeatureRefID == "" || len(r.FeatureRefID) > 255:
		return apperr.BadInput("featureId", "featureId must be 1 to 255 characters")
	case r.ResourceID != nil && len(*r.ResourceID) > 255:
		return apperr.BadInput("resourceId", "resourceId must be at most 255 characters")
	}
	now := s.Clock.Now()
	return s.Client.EntitlementCheck.Create().SetEnvironmentID(env).SetCustomerRefID(r.CustomerRefID).
		SetFeatureRefID(r.FeatureRefID).SetResourceID(resourceKey(r.ResourceID)).SetHasAccess(r.HasAccess).
		SetNillableAccessDeniedReason(r.AccessDeniedReason).SetNillableRequestedUsage(r.RequestedUsage).
		SetRequestedValues(r.RequestedValues).SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx)
}

// CountChecks counts the reported checks of a customer's feature.
func (s *Service) CountChecks(ctx context.Context, env uuid.UUID, customerRefID, featureRefID string) (int, error) {
	return s.Client.EntitlementCheck.Query().Where(entitlementcheck.EnvironmentID(env),
		entitlementcheck.CustomerRefID(customerRefID), entitlementcheck.FeatureRefID(featureRefID)).Count(ctx)
}
