// Package schema_test checks that our GraphQL schema (../schema.graphqls)
// stays a faithful mirror of Stigg's API, as captured in the reference SDLs
// kept in the repository under testdata/reference (see its README.md for
// where they come from).
//
// It lives in its own package, without importing the (large, generated)
// graph package, so that it compiles and runs quickly:
//
//	go test ./schema_test/
package schema_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const (
	// Paths are relative to this package's directory (the test's working
	// directory).
	ourSchemaPath = "../schema.graphqls"
	// customerReferencePath is Stigg's customer schema.
	customerReferencePath = "../testdata/reference/stigg-customer.graphql"
	// sdkReferencePath is the customer schema plus what Stigg's SDKs send.
	sdkReferencePath = "../testdata/reference/stigg-sdk.graphql"
	// referenceSchemaPath is the reference our schema mirrors.
	referenceSchemaPath = sdkReferencePath
)

// allowedAdditions lists what our schema may define although the reference
// does not. Every other difference, in either direction, fails the test.
//
// Keys:
//   - "Type"             a whole type that exists only in our schema;
//   - "Type.member"      a field, input field, enum value or union member that
//     exists only in our schema, on a type both schemas define;
//   - "Type.field(arg)"  an argument that exists only in our schema, on a
//     field both schemas define.
//
// The value says why the addition is intended. An entry that no longer
// matches an addition (e.g. because the reference caught up) fails the test,
// so the list cannot silently go stale.
var allowedAdditions = map[string]string{
	"Subscription.customerUpdated": "real-time customer changes over WebSocket (graphql-transport-ws): " +
		"Stigg's API has only the SDKs' entitlement, usage and package events (see docs/realtime.md)",
	"Subscription.creditBalanceUpdated": "@stigg/node-server-sdk 3.95.0 opens it on start and resets its cache every 5 s when it is refused; " +
		"accepted and never emitted (credits are out of scope, docs/sdk.md)",
	"CreditBalanceUpdated": "the payload of creditBalanceUpdated, as api-client-js 3.108.0's OnCreditBalanceUpdated selects it",
	"SlimCustomCurrency":   "CreditBalanceUpdated.currency, as api-client-js 3.108.0 types it",
	// The server SDK 4.x's newer subscription inputs (Stigg's current API,
	// docs.stigg.io graphql-reference): honoured (docs/sdk.md, "Newer input fields").
	"ProvisionSubscriptionInput.billingCycleAnchor": api4x, "ProvisionSubscriptionInput.cancellationDate": api4x,
	"ProvisionSubscriptionInput.charges": api4x, "ProvisionSubscriptionInput.entitlements": api4x,
	"SubscriptionInput.billingCycleAnchor": api4x, "SubscriptionInput.cancellationDate": api4x,
	"SubscriptionInput.charges": api4x, "SubscriptionInput.entitlements": api4x,
	"UpdateSubscriptionInput.billingCycleAnchor": api4x, "UpdateSubscriptionInput.cancellationDate": api4x,
	"UpdateSubscriptionInput.charges": api4x, "UpdateSubscriptionInput.entitlements": api4x,
	"SubscriptionBillingCycleAnchor": api4x, "ChargeType": api4x, "ChargeInput": api4x,
	"SubscriptionEntitlementInputV2":      api4x + " (its credit member is left out, as credits are)",
	"SubscriptionFeatureEntitlementInput": api4x + " (featureGroupId is left out: no feature groups here)",
}

// api4x is why the 4.x subscription input additions are allowed.
const api4x = "sent by Stigg's server SDK 4.x (newer than the pinned 3.95.0) on provision, create and update subscription"

// builtinScalars are defined by the GraphQL spec (and gqlparser's prelude).
var builtinScalars = map[string]bool{
	"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true,
}

func isBuiltin(def *ast.Definition) bool {
	return def.BuiltIn || strings.HasPrefix(def.Name, "__") || builtinScalars[def.Name]
}

func loadSchema(t *testing.T, path string) *ast.Schema {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(path), Input: string(src)})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return schema
}

var kindNames = map[ast.DefinitionKind]string{
	ast.Scalar:      "scalar",
	ast.Object:      "type",
	ast.Interface:   "interface",
	ast.Union:       "union",
	ast.Enum:        "enum",
	ast.InputObject: "input",
}

func kindName(k ast.DefinitionKind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return string(k)
}

// defaultString renders a default value canonically ("" when there is none).
func defaultString(v *ast.Value) string {
	if v == nil {
		return ""
	}
	return v.String()
}

func showDefault(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// differ collects differences between our schema and the reference.
type differ struct {
	diffs []string
	// allowed lists the additions ours may make (nil: any addition is fine).
	allowed map[string]string
	used    map[string]bool // allow-list entries that matched an addition
}

func (d *differ) add(format string, args ...any) {
	d.diffs = append(d.diffs, fmt.Sprintf(format, args...))
}

// extra records something present only in our schema, unless allow-listed.
func (d *differ) extra(key, what string) {
	if d.allowed == nil {
		return
	}
	if _, ok := d.allowed[key]; ok {
		d.used[key] = true
		return
	}
	d.add("%s: %s only in our schema (not in the reference; add %q to allowedAdditions if intended)", key, what, key)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nameSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

// compareNameSets reports members missing from ours or present only in ours.
func (d *differ) compareNameSets(typeName, what string, ours, ref []string) {
	o, r := nameSet(ours), nameSet(ref)
	for _, n := range sortedKeys(r) {
		if !o[n] {
			d.add("%s.%s: %s missing from our schema", typeName, n, what)
		}
	}
	for _, n := range sortedKeys(o) {
		if !r[n] {
			d.extra(typeName+"."+n, what)
		}
	}
}

func (d *differ) compareFields(typeName string, ours, ref ast.FieldList) {
	oursByName := map[string]*ast.FieldDefinition{}
	for _, f := range ours {
		if !strings.HasPrefix(f.Name, "__") {
			oursByName[f.Name] = f
		}
	}
	refByName := map[string]*ast.FieldDefinition{}
	for _, f := range ref {
		if !strings.HasPrefix(f.Name, "__") {
			refByName[f.Name] = f
		}
	}
	for _, name := range sortedKeys(refByName) {
		rf := refByName[name]
		of, ok := oursByName[name]
		key := typeName + "." + name
		if !ok {
			d.add("%s: field missing from our schema (reference: %s)", key, rf.Type.String())
			continue
		}
		if o, r := of.Type.String(), rf.Type.String(); o != r {
			d.add("%s: type differs: ours %s, reference %s", key, o, r)
		}
		if o, r := defaultString(of.DefaultValue), defaultString(rf.DefaultValue); o != r {
			d.add("%s: default differs: ours %s, reference %s", key, showDefault(o), showDefault(r))
		}
		d.compareArguments(key, of.Arguments, rf.Arguments)
	}
	for _, name := range sortedKeys(oursByName) {
		if _, ok := refByName[name]; !ok {
			d.extra(typeName+"."+name, "field")
		}
	}
}

func (d *differ) compareArguments(fieldKey string, ours, ref ast.ArgumentDefinitionList) {
	oursByName := map[string]*ast.ArgumentDefinition{}
	for _, a := range ours {
		oursByName[a.Name] = a
	}
	refByName := map[string]*ast.ArgumentDefinition{}
	for _, a := range ref {
		refByName[a.Name] = a
	}
	for _, name := range sortedKeys(refByName) {
		ra := refByName[name]
		oa, ok := oursByName[name]
		key := fieldKey + "(" + name + ")"
		if !ok {
			d.add("%s: argument missing from our schema (reference: %s)", key, ra.Type.String())
			continue
		}
		if o, r := oa.Type.String(), ra.Type.String(); o != r {
			d.add("%s: argument type differs: ours %s, reference %s", key, o, r)
		}
		if o, r := defaultString(oa.DefaultValue), defaultString(ra.DefaultValue); o != r {
			d.add("%s: argument default differs: ours %s, reference %s", key, showDefault(o), showDefault(r))
		}
	}
	for _, name := range sortedKeys(oursByName) {
		if _, ok := refByName[name]; !ok {
			d.extra(fieldKey+"("+name+")", "argument")
		}
	}
}

func enumValueNames(def *ast.Definition) []string {
	names := make([]string, 0, len(def.EnumValues))
	for _, v := range def.EnumValues {
		names = append(names, v.Name)
	}
	return names
}

func (d *differ) compareDefinitions(ours, ref *ast.Definition) {
	name := ref.Name
	if ours.Kind != ref.Kind {
		d.add("%s: kind differs: ours %s, reference %s", name, kindName(ours.Kind), kindName(ref.Kind))
		return
	}
	d.compareNameSets(name, "implemented interface", ours.Interfaces, ref.Interfaces)
	switch ref.Kind {
	case ast.Object, ast.Interface, ast.InputObject:
		d.compareFields(name, ours.Fields, ref.Fields)
	case ast.Enum:
		d.compareNameSets(name, "enum value", enumValueNames(ours), enumValueNames(ref))
	case ast.Union:
		d.compareNameSets(name, "union member", ours.Types, ref.Types)
	}
}

func userTypes(s *ast.Schema) map[string]*ast.Definition {
	types := map[string]*ast.Definition{}
	for name, def := range s.Types {
		if !isBuiltin(def) {
			types[name] = def
		}
	}
	return types
}

func rootName(def *ast.Definition) string {
	if def == nil {
		return "(none)"
	}
	return def.Name
}

// diffSchemas lists every difference between ours and ref in types, kinds,
// fields, field/argument types (nullability and list wrapping included),
// argument and input field defaults, enum values, union members and
// implemented interfaces. Descriptions are ignored. Additions in ours are
// differences unless allowed lists them; a nil allowed accepts any addition
// (ref must then only be a subset of ours).
func diffSchemas(ours, ref *ast.Schema, allowed map[string]string) []string {
	d := &differ{allowed: allowed, used: map[string]bool{}}

	refTypes, ourTypes := userTypes(ref), userTypes(ours)
	for _, name := range sortedKeys(refTypes) {
		od, ok := ourTypes[name]
		if !ok {
			d.add("%s: %s missing from our schema", name, kindName(refTypes[name].Kind))
			continue
		}
		d.compareDefinitions(od, refTypes[name])
	}
	for _, name := range sortedKeys(ourTypes) {
		if _, ok := refTypes[name]; !ok {
			d.extra(name, kindName(ourTypes[name].Kind))
		}
	}

	if o, r := rootName(ours.Query), rootName(ref.Query); o != r {
		d.add("schema: query root differs: ours %s, reference %s", o, r)
	}
	if o, r := rootName(ours.Mutation), rootName(ref.Mutation); o != r {
		d.add("schema: mutation root differs: ours %s, reference %s", o, r)
	}
	if o, r := rootName(ours.Subscription), rootName(ref.Subscription); o != r {
		// A subscription root only ours has is fine when it is an allowed
		// addition.
		_, listed := allowed[o]
		if !(ref.Subscription == nil && (allowed == nil || listed)) {
			d.add("schema: subscription root differs: ours %s, reference %s", o, r)
		}
	}

	for _, key := range sortedKeys(allowed) {
		if !d.used[key] {
			d.add("allowedAdditions[%q]: stale entry, nothing in our schema needs it; remove it", key)
		}
	}
	return d.diffs
}

// TestSchemaParity fails on any difference between our schema and the
// reference it mirrors (see diffSchemas), additions aside that
// allowedAdditions lists.
func TestSchemaParity(t *testing.T) {
	ref := loadSchema(t, referenceSchemaPath)
	ours := loadSchema(t, ourSchemaPath)
	if diffs := diffSchemas(ours, ref, allowedAdditions); len(diffs) > 0 {
		t.Errorf("%s differs from the reference %s in %d place(s):\n  %s",
			ourSchemaPath, referenceSchemaPath, len(diffs), strings.Join(diffs, "\n  "))
	}
}

// TestCustomerReferenceIsSubset checks that the SDK reference keeps the
// customer reference unchanged and only adds to it, so mirroring the SDK
// reference mirrors the customer schema too.
func TestCustomerReferenceIsSubset(t *testing.T) {
	customer := loadSchema(t, customerReferencePath)
	sdk := loadSchema(t, sdkReferencePath)
	if diffs := diffSchemas(sdk, customer, nil); len(diffs) > 0 {
		t.Errorf("%s is not a superset of %s; %d difference(s):\n  %s",
			sdkReferencePath, customerReferencePath, len(diffs), strings.Join(diffs, "\n  "))
	}
}

// TestSchemaDescriptions requires a description on every type and on every
// field and input field of our schema (enum values and arguments excluded),
// so that the documentation does not rot as the schema grows.
func TestSchemaDescriptions(t *testing.T) {
	ours := loadSchema(t, ourSchemaPath)

	var missing []string
	types := userTypes(ours)
	for _, name := range sortedKeys(types) {
		def := types[name]
		if strings.TrimSpace(def.Description) == "" {
			missing = append(missing, fmt.Sprintf("%s %s", kindName(def.Kind), name))
		}
		if def.Kind != ast.Object && def.Kind != ast.Interface && def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				missing = append(missing, name+"."+f.Name)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d type(s)/field(s) in %s have no description:\n  %s",
			len(missing), ourSchemaPath, strings.Join(missing, "\n  "))
	}
}
