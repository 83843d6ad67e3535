package model

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

// UpdateCustomerInput is written by hand (gqlgen autobinds it) so that each
// nullable field is a graphql.Omittable: a field that is absent is left
// alone, a field sent as null is cleared. Its shape must stay the one of the
// schema's UpdateCustomerInput; the schema parity test and the compiler keep
// it so.
type UpdateCustomerInput struct {
	AdditionalMetaData       graphql.Omittable[map[string]any]      `json:"additionalMetaData,omitempty"`
	AwsMarketplaceCustomerID graphql.Omittable[*string]             `json:"awsMarketplaceCustomerId,omitempty"`
	BillingID                graphql.Omittable[*string]             `json:"billingId,omitempty"`
	BillingInformation       graphql.Omittable[*CustomerBillingInfo] `json:"billingInformation,omitempty"`
	CouponRefID              graphql.Omittable[*string]             `json:"couponRefId,omitempty"`
	CrmID                    graphql.Omittable[*string]             `json:"crmId,omitempty"`
	CustomerID               graphql.Omittable[*string]             `json:"customerId,omitempty"`
	Email                    graphql.Omittable[*string]             `json:"email,omitempty"`
	EnvironmentID            graphql.Omittable[*uuid.UUID]          `json:"environmentId,omitempty"`
	Name                     graphql.Omittable[*string]             `json:"name,omitempty"`
	RefID                    graphql.Omittable[*string]             `json:"refId,omitempty"`
	SalesforceID             graphql.Omittable[*string]             `json:"salesforceId,omitempty"`
	ShouldWaitSync           graphql.Omittable[*bool]               `json:"shouldWaitSync,omitempty"`
}
