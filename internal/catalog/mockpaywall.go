package catalog

import "slices"

// MockPlan is a plan of the mock paywall with what the widget shows of it.
type MockPlan struct {
	Plan     Package
	Product  Product
	BasePlan *Package
	// Inherited are the base plans' entitlements of features the plan does
	// not grant itself (nearest base first).
	Inherited []Entitlement
	Addons    []Package
}

// MockPaywall is the data of mockPaywall, which Stigg's browser SDK asks
// for instead of paywall when the product id starts with "stiggTestData"
// (widget previews before a real catalog is wired in): sample plans that
// never come from the database. They are the built-in demo catalog's
// (demo.yaml), in file order, of productID when it names a demo product and
// of every demo product otherwise, leaving out plans hidden from the
// paywall unless includeHidden. Features holds the demo features by refId.
func MockPaywall(productID string, includeHidden bool) ([]MockPlan, map[string]Feature, error) {
	f, err := Demo()
	if err != nil {
		return nil, nil, err
	}
	products := map[string]Product{}
	known := false
	for _, p := range f.Products {
		products[p.RefID] = p
		known = known || p.RefID == productID
	}
	plans := map[string]Package{}
	for _, p := range f.Plans {
		plans[p.RefID] = p
	}
	addons := map[string]Package{}
	for _, a := range f.Addons {
		addons[a.RefID] = a
	}
	features := map[string]Feature{}
	for _, ft := range f.Features {
		features[ft.RefID] = ft
	}
	var out []MockPlan
	for _, p := range f.Plans {
		if known && p.Product != productID || !includeHidden && slices.Contains(p.HiddenFromWidgets, "PAYWALL") {
			continue
		}
		mp := MockPlan{Plan: p, Product: products[p.Product]}
		granted := map[string]bool{}
		for _, e := range p.Entitlements {
			granted[e.Feature] = true
		}
		for base, n := p.BasePlan, 0; base != "" && n < 32; n++ {
			b, ok := plans[base]
			if !ok {
				break
			}
			if mp.BasePlan == nil {
				mp.BasePlan = &b
			}
			for _, e := range b.Entitlements {
				if !granted[e.Feature] {
					granted[e.Feature] = true
					mp.Inherited = append(mp.Inherited, e)
				}
			}
			base = b.BasePlan
		}
		for _, ref := range p.CompatibleAddons {
			if a, ok := addons[ref]; ok {
				mp.Addons = append(mp.Addons, a)
			}
		}
		out = append(out, mp)
	}
	return out, features, nil
}
