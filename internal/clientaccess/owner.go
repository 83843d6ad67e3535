package clientaccess

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
)

// StoreOwner is the OwnerLookup over the store: the customer id of the
// environment's subscription with that refId.
func StoreOwner(client *ent.Client) OwnerLookup {
	return func(ctx context.Context, envID uuid.UUID, subscriptionID string) (string, bool, error) {
		ids, err := client.CustomerSubscription.Query().
			Where(customersubscription.EnvironmentID(envID), customersubscription.RefID(subscriptionID)).
			QueryCustomer().
			Select(customer.FieldCustomerID).
			Strings(ctx)
		if err != nil || len(ids) == 0 {
			return "", false, err
		}
		return ids[0], true, nil
	}
}
