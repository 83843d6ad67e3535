package subscription

import (
	"math"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/price"
)

// Line item types (Stigg's InvoiceLineItemType).
const (
	LineBaseCharge  = "BaseCharge"
	LineAddonCharge = "AddonCharge"
	LineTierCharge  = "TierCharge"
	LineZeroAmount  = "ZeroAmountBaseCharge"
)

// Charge is one priced line of a subscription: a plan or add-on price with
// the quantity bought, described for an invoice.
type Charge struct {
	Line
	// Description names what is charged ("Pro", "Pro - seats").
	Description string
	// Addon is set for an add-on's price.
	Addon bool
}

// InvoiceLine is one line of an invoice (or of an estimate): a charge over
// a period, prorated when the period is a part of the billing period.
type InvoiceLine struct {
	Charge
	Start, End time.Time
	// Fraction is the part of the billing period charged: 1 for a whole
	// period, less for a prorated line, negative for a credit of unused time.
	Fraction float64
	Amount   float64
	Type     string
}

// UnitAmount is the line's unit price when it has one (a flat fee or an
// untiered per-unit price).
func (l InvoiceLine) UnitAmount() *float64 {
	if len(l.Price.Tiers) > 0 || l.Price.Amount == nil {
		return nil
	}
	return l.Price.Amount
}

// Proration reports whether the line covers only part of its period.
func (l InvoiceLine) Proration() bool { return l.Fraction != 1 }

// Discount is a coupon as an invoice applies it.
type Discount struct {
	Name             string
	Type             coupon.Type
	Value            float64 // percent off, or the amount off in the invoice's currency
	DurationInMonths *int
	Start            time.Time
	End              *time.Time
}

// DurationType is Stigg's DiscountDurationType of the discount.
func (d *Discount) DurationType() string {
	if d.DurationInMonths == nil {
		return "FOREVER"
	}
	return "REPEATING"
}

// Tax is a configured tax rate; invoices carry no tax without one.
type Tax struct {
	DisplayName string
	Percentage  float64
	Inclusive   bool
}

// Invoice is what a customer is billed at one time: lines, the discount
// of the coupon in force, the tax and the totals, in cents.
type Invoice struct {
	Currency   string
	Start, End time.Time
	Lines      []InvoiceLine
	// SubTotal is the sum of the lines; Discount is taken from it, then
	// Tax is added: Total = SubTotal - Discount + Tax (TotalExcludingTax
	// without the tax).
	SubTotal, Discount, Tax, TotalExcludingTax, Total float64
	DiscountDetails                                   *Discount
	TaxDetails                                        *Tax
}

// cents rounds an amount to the cent, half away from zero.
func cents(v float64) float64 { return math.Round(v*100) / 100 }

// lineType says which kind of charge a line is on an invoice.
func lineType(c Charge, amount float64) string {
	switch {
	case c.Addon:
		return LineAddonCharge
	case amount == 0:
		return LineZeroAmount
	case len(c.Price.Tiers) > 0:
		return LineTierCharge
	}
	return LineBaseCharge
}

// lines prices the charges over [start, end) at fraction of a period each,
// each line rounded to the cent as a billing provider does.
func lines(charges []Charge, start, end time.Time, fraction float64) []InvoiceLine {
	out := make([]InvoiceLine, 0, len(charges))
	for _, c := range charges {
		amount := cents(c.Amount() * fraction)
		out = append(out, InvoiceLine{Charge: c, Start: start, End: end, Fraction: fraction, Amount: amount, Type: lineType(c, amount)})
	}
	return out
}

// currencyOf is the currency of the charges: their prices' (USD without any).
func currencyOf(charges []Charge) string {
	for _, c := range charges {
		if c.Price.Currency != "" {
			return c.Price.Currency
		}
	}
	return "USD"
}

// discountFor returns the coupon as a discount of an invoice dated at,
// nil when there is no coupon or its months have run out (counted from
// since, when the subscription got it).
func discountFor(c *ent.Coupon, since, at time.Time) *Discount {
	if c == nil {
		return nil
	}
	d := &Discount{Name: c.Name, Type: c.Type, DurationInMonths: c.DurationInMonths, Start: since}
	if c.DurationInMonths != nil {
		end := since.AddDate(0, *c.DurationInMonths, 0)
		if !at.Before(end) {
			return nil
		}
		d.End = &end
	}
	return d
}

// bill totals lines into an invoice: the discount (a percentage of the
// subtotal, or the fixed amount in the invoice's currency, never more than
// the subtotal, nothing on a credit), then the tax on what remains.
func bill(currency string, start, end time.Time, ls []InvoiceLine, d *Discount, c *ent.Coupon, tax *Tax) Invoice {
	inv := Invoice{Currency: currency, Start: start, End: end, Lines: ls}
	for _, l := range ls {
		inv.SubTotal += l.Amount
	}
	inv.SubTotal = cents(inv.SubTotal)
	if d != nil && c != nil && inv.SubTotal > 0 {
		switch {
		case c.Type == coupon.TypePERCENTAGE && c.PercentOff != nil:
			d.Value = *c.PercentOff
			inv.Discount = cents(inv.SubTotal * *c.PercentOff / 100)
		case c.Type == coupon.TypeFIXED:
			for _, m := range c.AmountsOff {
				if m.Currency == currency {
					d.Value = m.Amount
					inv.Discount = math.Min(inv.SubTotal, cents(m.Amount))
				}
			}
		}
		if inv.Discount > 0 {
			inv.DiscountDetails = d
		}
	}
	inv.TotalExcludingTax = cents(inv.SubTotal - inv.Discount)
	if tax != nil && tax.Percentage > 0 && inv.TotalExcludingTax > 0 {
		inv.TaxDetails = tax
		if tax.Inclusive {
			// The prices include the tax: show its part, the total stays.
			inv.Tax = cents(inv.TotalExcludingTax * tax.Percentage / (100 + tax.Percentage))
			inv.TotalExcludingTax = cents(inv.TotalExcludingTax - inv.Tax)
		} else {
			inv.Tax = cents(inv.TotalExcludingTax * tax.Percentage / 100)
		}
	}
	inv.Total = cents(inv.TotalExcludingTax + inv.Tax)
	return inv
}

// Fraction is the part of the billing period [start, end) left at at,
// by days as Stripe and Stigg prorate: calendar days (UTC) from the day of
// at to the day of the end, over the period's days; the day of the change
// counts as left. 1 at or before the start, 0 at or after the end.
func Fraction(start, end, at time.Time) float64 {
	if !at.After(start) {
		return 1
	}
	if !at.Before(end) {
		return 0
	}
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	total := day(end).Sub(day(start)).Hours() / 24
	left := day(end).Sub(day(at)).Hours() / 24
	if total <= 0 {
		return 1
	}
	return math.Min(1, left/total)
}

// ProrationResult is the immediate effect of changing a subscription's
// charges mid-period: a credit for the unused time of what it paid, a debit
// for the rest of the period at the new charges. Net is debit - credit;
// a negative net is owed to the customer (credited, not refunded).
type ProrationResult struct {
	Date                 time.Time
	Credit, Debit, Net   float64
	CreditLines, DebitLs []InvoiceLine
}

// Prorate prices a change at at from old to new charges within the billing
// period [start, end), both billed for the same period length.
func Prorate(old, new []Charge, start, end, at time.Time) ProrationResult {
	f := Fraction(start, end, at)
	r := ProrationResult{Date: at}
	r.CreditLines = lines(old, at, end, -f)
	r.DebitLs = lines(new, at, end, f)
	for _, l := range r.CreditLines {
		r.Credit -= l.Amount
	}
	for _, l := range r.DebitLs {
		r.Debit += l.Amount
	}
	r.Credit, r.Debit = cents(r.Credit), cents(r.Debit)
	r.Net = cents(r.Debit - r.Credit)
	return r
}

// isUsageBased reports whether a price bills usage (priced at no usage by
// estimates: the server does not meter billing usage).
func isUsageBased(p *ent.Price) bool { return p.BillingModel == price.BillingModelUSAGE_BASED }
