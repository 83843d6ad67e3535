// Package entitlements decides what a customer may use, and meters what
// it used: plans + add-ons + promotional grants -> entitlements; usage
// reports and raw events -> usage per reset period. It has no GraphQL in
// it: the resolvers and the HTTP edge endpoints call it.
//
// # API
//
//	svc := entitlements.New(client, clock, hooks...)  // or &Service{Client, Clock, Hooks}
//
//	svc.ForCustomer(ctx, env, customerRefID, resourceID) (*State, error)
//	    every entitlement of the customer (cachedEntitlements,
//	    entitlementsState, the edge's entitlements.json); an unknown or
//	    archived customer is State.AccessDeniedReason = CustomerNotFound.
//	svc.Check(ctx, env, customerRefID, resourceID, featureRefID, requestedUsage, requestedValues) (*Entitlement, error)
//	    one feature, decided (the entitlement query): IsGranted and
//	    AccessDeniedReason.
//	svc.ReportUsage(ctx, env, []UsageReport) ([]*Measurement, error)
//	    reportUsage / reportUsageBulk: DELTA or SET, all or nothing, exact
//	    under concurrency.
//	svc.ReportEvents(ctx, env, []Event) (stored int, error)
//	    reportEvent: raw events, once per idempotency key.
//	svc.History(ctx, env, HistoryQuery) (*History, error)
//	    usageHistory / usageHistoryV2.
//	svc.RecordCheck(ctx, env, CheckReport) error; svc.CountChecks(...)
//	    reportEntitlementCheckRequested.
//	svc.EnableCache(dialect, maxEntries)
//	    keep computed entitlements between requests (cache.go): ForCustomer
//	    and Check then cost one statement while nothing changed.
//	Invalidate(ctx, tx, dialect, env, customerRefs...)
//	    for a write the cache's version triggers do not see.
//
// Errors are *apperr.Error with Stigg's codes (BadUserInput,
// CustomerNotFound, CustomerIsArchived, FeatureNotFound,
// MeteringNotAvailableForFeatureType,
// CannotReportUsageForEntitlementWithMeterError); anything else is a
// storage failure.
//
// # Rules
//
// A customer's entitlements are the union of what its active and in-trial
// subscriptions grant (those of resourceID plus the customer-wide ones when
// a resource is given; the customer-wide ones otherwise) and what its
// active promotional grants give. One subscription grants its plan's
// entitlements (a plan's own hide its base plan's of the same feature),
// plus its add-ons' times their quantity (Increment adds to the limit,
// Override replaces it), with per-unit quantities bought (seats) as the
// limit of their feature (SubscriptionGrants). Across subscriptions and
// grants the most generous wins (Merge): unlimited beats any limit, then
// the higher limit, then a soft limit; enum values unite; a grant alone
// gives access.
//
// Metered features (NUMBER with meter type Fluctuating or Incremental)
// carry their current usage. Incremental usage with a reset period
// restarts each period (UsagePeriod): periods follow each other from the
// anchor, the subscription's start or the promotional grant's start, as
// the SDKs recompute them from usagePeriodAnchor; fluctuating usage (seats)
// never resets. A feature with a meter (catalog file) counts the raw events
// its filters match, aggregated per period; the others count reported
// usage, kept in one counter row per customer, feature, resource and
// period.
//
// Checks decide like Stigg's SDKs (Decide): booleans and non-metered
// numbers are granted, enums when every requested value is entitled,
// metered features when unlimited, soft-limited or current usage +
// requested usage <= limit.
package entitlements
