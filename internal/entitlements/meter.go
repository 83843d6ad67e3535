package entitlements

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/schema"
)

// The meter aggregation functions and condition operations, as Stigg's
// AggregationFunction and ConditionOperation enums name them.
var (
	AggregationFunctions = []string{"AVG", "COUNT", "MAX", "MIN", "SUM", "UNIQUE"}
	ConditionOperations  = []string{"EQUALS", "NOT_EQUALS", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL", "IS_NULL", "IS_NOT_NULL"}
)

// eventField is the value of an event's field: "eventName" is the event's
// name, anything else a dimension.
func eventField(e *ent.UsageEvent, field string) (any, bool) {
	if field == "eventName" {
		return e.EventName, true
	}
	v, ok := e.Dimensions[field]
	return v, ok && v != nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// conditionHolds evaluates one condition on e. EQUALS with values matches
// any of them, NOT_EQUALS none; the ordering operations compare numbers.
func conditionHolds(c schema.MeterCondition, e *ent.UsageEvent) bool {
	v, present := eventField(e, c.Field)
	switch c.Operation {
	case "IS_NULL":
		return !present
	case "IS_NOT_NULL":
		return present
	}
	if !present {
		return c.Operation == "NOT_EQUALS"
	}
	s := asString(v)
	wanted := c.Values
	if c.Value != "" || len(wanted) == 0 {
		wanted = append([]string{c.Value}, wanted...)
	}
	switch c.Operation {
	case "EQUALS", "NOT_EQUALS":
		eq := false
		for _, w := range wanted {
			eq = eq || s == w
		}
		return eq == (c.Operation == "EQUALS")
	}
	n, ok := asNumber(v)
	w, ok2 := asNumber(c.Value)
	if !ok || !ok2 {
		return false
	}
	switch c.Operation {
	case "GREATER_THAN":
		return n > w
	case "GREATER_THAN_OR_EQUAL":
		return n >= w
	case "LESS_THAN":
		return n < w
	case "LESS_THAN_OR_EQUAL":
		return n <= w
	}
	return false
}

// Matches reports whether the meter counts e: some filter has all its
// conditions true (a meter without filters counts every event).
func Matches(m *schema.Meter, e *ent.UsageEvent) bool {
	if len(m.Filters) == 0 {
		return true
	}
	for _, f := range m.Filters {
		all := true
		for _, c := range f.Conditions {
			if !conditionHolds(c, e) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// aggregator folds matching events into a meter's value.
type aggregator struct {
	fn, field     string
	n             int
	sum, max, min float64
	seen          map[string]bool
}

func newAggregator(m *schema.Meter) *aggregator {
	return &aggregator{fn: m.Aggregation.Function, field: m.Aggregation.Field, seen: map[string]bool{}}
}

func (a *aggregator) add(e *ent.UsageEvent) {
	if a.fn == "COUNT" {
		a.n++
		return
	}
	v, ok := eventField(e, a.field)
	if !ok {
		return
	}
	if a.fn == "UNIQUE" {
		a.seen[asString(v)] = true
		return
	}
	x, ok := asNumber(v)
	if !ok {
		return
	}
	if a.n == 0 || x > a.max {
		a.max = x
	}
	if a.n == 0 || x < a.min {
		a.min = x
	}
	a.n++
	a.sum += x
}

func (a *aggregator) value() float64 {
	switch a.fn {
	case "COUNT":
		return float64(a.n)
	case "SUM":
		return a.sum
	case "MAX":
		return a.max
	case "MIN":
		return a.min
	case "AVG":
		if a.n == 0 {
			return 0
		}
		return a.sum / float64(a.n)
	case "UNIQUE":
		return float64(len(a.seen))
	}
	return 0
}

// Aggregate is the meter's value over the events with a timestamp in
// [from, to], and the latest such event's time.
func Aggregate(m *schema.Meter, events []*ent.UsageEvent, from, to time.Time) (float64, time.Time) {
	a := newAggregator(m)
	var last time.Time
	for _, e := range events {
		if e.Timestamp.Before(from) || e.Timestamp.After(to) || !Matches(m, e) {
			continue
		}
		a.add(e)
		if e.Timestamp.After(last) {
			last = e.Timestamp
		}
	}
	return a.value(), last
}
