// Package schematype holds the Go types of structured (JSON) columns. It
// imports nothing from ent, so both the schema and the generated code can
// use it without an import cycle.
package schematype

// BillingInfo is what a customer was given as billingInformation: details
// that only matter to the billing vendor. They are kept on the customer so
// that the billing sync can push the customer's whole, latest state at
// delivery time instead of replaying each change.
type BillingInfo struct {
	BillingAddress      *Address       `json:"billingAddress,omitempty"`
	ShippingAddress     *Address       `json:"shippingAddress,omitempty"`
	CustomerName        *string        `json:"customerName,omitempty"`
	Language            *string        `json:"language,omitempty"`
	Timezone            *string        `json:"timezone,omitempty"`
	InvoiceCustomFields map[string]any `json:"invoiceCustomFields,omitempty"`
	Metadata            map[string]any `json:"metadata,omitempty"`
	TaxIDs              []TaxID        `json:"taxIds,omitempty"`
}

// Address is a postal address with a contact phone number, as Stigg's
// Address input has it.
type Address struct {
	AddressLine1 *string `json:"addressLine1,omitempty"`
	AddressLine2 *string `json:"addressLine2,omitempty"`
	City         *string `json:"city,omitempty"`
	Country      *string `json:"country,omitempty"`
	PhoneNumber  *string `json:"phoneNumber,omitempty"`
	PostalCode   *string `json:"postalCode,omitempty"`
	State        *string `json:"state,omitempty"`
}

// TaxID is one tax identifier of a customer (Stigg's TaxExempt input).
type TaxID struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Merge returns b with every field that patch sets replaced; b and patch
// are left unchanged. updateOneCustomer sends only what changes, so a
// billingInformation with just a new address keeps the stored language.
func (b *BillingInfo) Merge(patch *BillingInfo) *BillingInfo {
	var out BillingInfo
	if b != nil {
		out = *b
	}
	if patch == nil {
		return &out
	}
	if patch.BillingAddress != nil {
		out.BillingAddress = patch.BillingAddress
	}
	if patch.ShippingAddress != nil {
		out.ShippingAddress = patch.ShippingAddress
	}
	if patch.CustomerName != nil {
		out.CustomerName = patch.CustomerName
	}
	if patch.Language != nil {
		out.Language = patch.Language
	}
	if patch.Timezone != nil {
		out.Timezone = patch.Timezone
	}
	if patch.InvoiceCustomFields != nil {
		out.InvoiceCustomFields = patch.InvoiceCustomFields
	}
	if patch.Metadata != nil {
		out.Metadata = patch.Metadata
	}
	if patch.TaxIDs != nil {
		out.TaxIDs = patch.TaxIDs
	}
	return &out
}
