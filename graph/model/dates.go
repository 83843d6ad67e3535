package model

import "time"

// DateRange is a billing period range. Stigg's schema types start and end
// UUID but sends dates (its SDKs parse them with new Date()); they are
// bound to scalar.TimeAsUUID, which writes a date.
type DateRange struct {
	End   *time.Time `json:"end,omitempty"`
	Start *time.Time `json:"start,omitempty"`
}

// SubscriptionInvoicePreviewLineItemPeriod is the period an invoice line
// covers; dates under UUID-typed fields, as DateRange.
type SubscriptionInvoicePreviewLineItemPeriod struct {
	End   time.Time `json:"end"`
	Start time.Time `json:"start"`
}
