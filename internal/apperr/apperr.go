// Package apperr defines the errors the API reports to clients: each carries
// a stable code (Stigg's ErrorCode names where Stigg has one) and a message
// safe to show. Anything that is not an *Error is unexpected: the GraphQL
// layer logs it and replies UnexpectedError without details.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code, sent as extensions.code.
type Code string

// The codes this server uses. Names follow Stigg's ErrorCode enum.
const (
	BadUserInput                          Code = "BadUserInput"
	Unauthenticated                       Code = "Unauthenticated"
	IdentityForbidden                     Code = "IdentityForbidden"
	CustomerNotFound                      Code = "CustomerNotFound"
	DuplicatedEntityNotAllowed            Code = "DuplicatedEntityNotAllowed"
	CustomerIsArchived                    Code = "CustomerIsArchived"
	PlanNotFound                          Code = "PlanNotFound"
	AddonNotFound                         Code = "AddonNotFound"
	FeatureNotFound                       Code = "FeatureNotFound"
	CouponNotFound                        Code = "CouponNotFound"
	SubscriptionNotFound                  Code = "SubscriptionNotFound"
	SubscriptionAlreadyCanceledOrExpired  Code = "SubscriptionAlreadyCanceledOrExpired"
	PromotionalEntitlementNotFound        Code = "PromotionalEntitlementNotFoundError"
	IncompatibleSubscriptionAddon         Code = "IncompatibleSubscriptionAddon"
	AddonDependencyMissing                Code = "AddonDependencyMissingError"
	AddonQuantityExceedsLimit             Code = "AddonQuantityExceedsLimitError"
	DuplicateAddonProvisioned             Code = "DuplicateAddonProvisionedError"
	ArchivedCouponCantBeApplied           Code = "ArchivedCouponCantBeApplied"
	InvalidQuantity                       Code = "InvalidQuantity"
	BillingPeriodMissing                  Code = "BillingPeriodMissingError"
	RateLimitExceeded                     Code = "RateLimitExceeded"
	GraphQLAliasesLimitExceeded           Code = "GraphQLAliasesLimitExceeded"
	GraphQLBatchedOperationsLimitExceeded Code = "GraphQLBatchedOperationsLimitExceeded"
	UnexpectedError                       Code = "UnexpectedError"
	// Usage reports: a feature that is not metered, and a metered feature
	// that counts events (its meter) rather than reported usage.
	MeteringNotAvailableForFeatureType            Code = "MeteringNotAvailableForFeatureType"
	CannotReportUsageForEntitlementWithMeterError Code = "CannotReportUsageForEntitlementWithMeterError"

	// The codes below have no counterpart in Stigg's enum: they report
	// this server's own request limits (see internal/limits).
	GraphQLDepthLimitExceeded      Code = "GraphQLDepthLimitExceeded"
	GraphQLComplexityLimitExceeded Code = "GraphQLComplexityLimitExceeded"
	RequestTooLarge                Code = "RequestTooLarge"
	// GraphQLTokenLimitExceeded refuses a document with more tokens than
	// the limit, before it is parsed and validated (internal/limits).
	GraphQLTokenLimitExceeded Code = "GraphQLTokenLimitExceeded"
	RequestTimeout            Code = "RequestTimeout"
	// ServiceUnavailable: the database is unreachable or out of disk
	// space for now; answered with HTTP 503 and Retry-After, so clients
	// and load balancers retry instead of reporting a bug.
	ServiceUnavailable Code = "ServiceUnavailable"
	// EventStreamInterrupted ends (or refuses) a real-time subscription
	// that may have missed events: subscribe again and refetch (see
	// internal/events).
	EventStreamInterrupted Code = "EventStreamInterrupted"
	// NotImplemented answers a field of Stigg's API that the schema has
	// (so that clients' documents validate) but this server does not
	// serve yet; docs/unbacked-fields.md lists them.
	NotImplemented Code = "NotImplemented"
	// BadRequest is a request the GraphQL transport refused before
	// reading the operation (a GET carrying a mutation, undecodable
	// variables, an unsupported method or content type): Apollo Server's
	// code for these, which Stigg's API runs on.
	BadRequest Code = "BAD_REQUEST"
)

// Error is an error meant for the client.
type Error struct {
	Code    Code
	Message string
	// Field optionally names the input field at fault (extensions.field).
	Field string
}

func (e *Error) Error() string { return e.Message }

// New returns an *Error with the given code and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadInput is the common case of New(BadUserInput, ...) naming the field.
func BadInput(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Message: fmt.Sprintf(format, args...), Field: field}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns err's code, UnexpectedError when it carries none.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return UnexpectedError
}

// Codes of the subscription operations (transfers between resources,
// promotional entitlement groups, bulk imports, plan migrations), as
// Stigg's ErrorCode enum names them.
const (
	CustomerResourceNotFound             Code = "CustomerResourceNotFound"
	FeatureGroupNotFound                 Code = "FeatureGroupNotFoundError"
	ImportSubscriptionsBulkError         Code = "ImportSubscriptionsBulkError"
	SubscriptionAlreadyOnLatestPlan      Code = "SubscriptionAlreadyOnLatestPlanError"
	ScheduledMigrationAlreadyExists      Code = "ScheduledMigrationAlreadyExistsError"
	ChangingPayingCustomerIsNotSupported Code = "ChangingPayingCustomerIsNotSupportedError"
	PromotionCodeNotFound                Code = "PromotionCodeNotFound"
)

// Codes of a subscription's own entitlements and prices (subscriptionEntitlements,
// priceOverrides and the 4.x entitlements input), as Stigg names them.
const (
	EntitlementUsageOutOfRange    Code = "EntitlementUsageOutOfRangeError"
	InvalidEntitlementResetPeriod Code = "InvalidEntitlementResetPeriod"
	PriceNotFound                 Code = "PriceNotFound"
)

// BillingIntegrationMissing is Stigg's code for an operation that needs a
// billing integration (Stripe) the environment does not have, such as
// subscribing to a paid plan through applySubscription.
const BillingIntegrationMissing Code = "BillingIntegrationMissing"
