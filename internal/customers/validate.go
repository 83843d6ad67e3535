package customers

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// Limits on customer fields. Stigg documents customerId as at most 255
// characters; the others are what a careful server caps to keep rows sane.
const (
	MaxCustomerIDLen = 255
	MaxNameLen       = 255
	MaxEmailLen      = 254 // RFC 5321 path limit
	MaxIDFieldLen    = 255 // billingId, crmId, salesforceId, ...
)

// validText refuses what one of the databases cannot store: PostgreSQL
// rejects NUL characters and invalid UTF-8 in text, SQLite would keep them;
// both answer the same BadUserInput instead.
func validText(field, v string) error {
	if strings.ContainsRune(v, 0) {
		return apperr.BadInput(field, "%s must not contain NUL characters", field)
	}
	if !utf8.ValidString(v) {
		return apperr.BadInput(field, "%s must be valid UTF-8", field)
	}
	return nil
}

func validateCustomerID(field, id string) error {
	if err := validText(field, id); err != nil {
		return err
	}
	if strings.TrimSpace(id) == "" {
		return apperr.BadInput(field, "%s must not be empty", field)
	}
	if n := utf8.RuneCountInString(id); n > MaxCustomerIDLen {
		return apperr.BadInput(field, "%s must be at most %d characters, got %d", field, MaxCustomerIDLen, n)
	}
	if strings.TrimSpace(id) != id {
		return apperr.BadInput(field, "%s must not start or end with white space", field)
	}
	return nil
}

func validateEmail(field string, email *string) error {
	if email == nil {
		return nil
	}
	e := *email
	if err := validText(field, e); err != nil {
		return err
	}
	if len(e) > MaxEmailLen {
		return apperr.BadInput(field, "%s must be at most %d characters", field, MaxEmailLen)
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" {
		return apperr.BadInput(field, "%s %q is not a valid email address", field, e)
	}
	return nil
}

func validateLen(field string, v *string, max int) error {
	if v == nil {
		return nil
	}
	if err := validText(field, *v); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(*v); n > max {
		return apperr.BadInput(field, "%s must be at most %d characters, got %d", field, max, n)
	}
	return nil
}

// validateFields checks the free-form fields every write path shares.
func validateFields(prefix string, f *Fields) error {
	p := func(name string) string { return prefix + name }
	if err := validateLen(p("name"), f.Name, MaxNameLen); err != nil {
		return err
	}
	if err := validateEmail(p("email"), f.Email); err != nil {
		return err
	}
	for name, v := range map[string]*string{
		"billingId":                f.BillingID,
		"crmId":                    f.CrmID,
		"salesforceId":             f.SalesforceID,
		"awsMarketplaceCustomerId": f.AwsMarketplaceCustomerID,
		"paymentMethodId":          f.PaymentMethodID,
	} {
		if err := validateLen(p(name), v, MaxIDFieldLen); err != nil {
			return err
		}
	}
	return nil
}
