package customers

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Importing customers from another system: one at a time (Import), or
// many in one transaction (ImportBulk, ImportBatch), creating customers
// that do not exist and updating those whose source data is newer.

// ImportInput creates or updates a customer (importOneCustomer and bulk).
type ImportInput struct {
	CustomerID string
	Fields     Fields
	// UpdatedAt, when set, is the time of the data in the source system: an
	// existing customer changed after it is left alone.
	UpdatedAt *time.Time
}

// Import creates the customer, or updates the live one with that slug
// unless it was updated after in.UpdatedAt.
func (s *Service) Import(ctx context.Context, env uuid.UUID, in ImportInput) (*ent.Customer, error) {
	if err := validateImport("", &in); err != nil {
		return nil, err
	}
	var out *ent.Customer
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := s.importOne(ctx, tx, env, &in, nil)
		out = c
		return err
	})
	return out, err
}

func validateImport(prefix string, in *ImportInput) error {
	if err := validateCustomerID(prefix+"customerId", in.CustomerID); err != nil {
		return err
	}
	return validateFields(prefix, &in.Fields)
}

// importOne upserts one customer; existing, when non-nil, is the live
// customer with that slug as already looked up (bulk imports batch it).
func (s *Service) importOne(ctx context.Context, tx *ent.Tx, env uuid.UUID, in *ImportInput, existing *ent.Customer) (*ent.Customer, error) {
	c, _, err := s.importOneOutcome(ctx, tx, env, in, existing)
	return c, err
}

// importOneOutcome is importOne that also says what it did.
func (s *Service) importOneOutcome(ctx context.Context, tx *ent.Tx, env uuid.UUID, in *ImportInput, existing *ent.Customer) (*ent.Customer, Outcome, error) {
	now := s.clock.Now()
	if existing == nil {
		c, err := store.ForUpdate(liveQuery(tx.Customer, env, in.CustomerID)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return nil, "", err
		default:
			existing = c
		}
	}
	if existing == nil {
		c, err := s.createBuilder(tx, env, in.CustomerID, &in.Fields, now, now).Save(ctx)
		if ent.IsConstraintError(err) {
			return nil, "", duplicate(in.CustomerID)
		}
		if err != nil {
			return nil, "", err
		}
		return c, OutcomeCreated, s.notify(ctx, tx, OpCreated, c)
	}
	if in.UpdatedAt != nil && existing.UpdatedAt.After(*in.UpdatedAt) {
		return existing, OutcomeSkipped, nil
	}
	u := tx.Customer.UpdateOne(existing).SetUpdatedAt(now)
	applyFields(u, &in.Fields)
	c, err := u.Save(ctx)
	if err != nil {
		return nil, "", err
	}
	return c, OutcomeUpdated, s.notify(ctx, tx, OpUpdated, c)
}

// MaxBulkImport caps one importCustomersBulk call.
const MaxBulkImport = 50000

// bulkChunk is how many rows go into one statement: well under SQLite's
// 32766 bound variables at ~25 columns a row.
const bulkChunk = 500

// ImportBulk imports all customers in one transaction: either every one is
// written or none. It returns an id for the import.
func (s *Service) ImportBulk(ctx context.Context, env uuid.UUID, in []ImportInput) (string, error) {
	if err := validateBulk(in); err != nil {
		return "", err
	}
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		return s.importRows(ctx, tx, env, in, nil)
	})
	if err != nil {
		return "", err
	}
	s.analyze(ctx, len(in))
	return uuid.NewString(), nil
}

// Outcome is what an import did with one customer.
type Outcome string

// The outcomes of importing one customer.
const (
	OutcomeCreated Outcome = "created"
	OutcomeUpdated Outcome = "updated"
	// OutcomeSkipped: the stored customer was updated after the input's
	// UpdatedAt, so it was left as is.
	OutcomeSkipped Outcome = "skipped"
)

// ImportBatch imports customers like ImportBulk (one transaction, every one
// or none, the same checks) and reports what it did with each:
// outcomes[i] is in[i]'s. File imports use it to count their rows.
func (s *Service) ImportBatch(ctx context.Context, env uuid.UUID, in []ImportInput) ([]Outcome, error) {
	if err := validateBulk(in); err != nil {
		return nil, err
	}
	out := make([]Outcome, len(in))
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		return s.importRows(ctx, tx, env, in, out)
	})
	if err != nil {
		return nil, err
	}
	s.analyze(ctx, len(in))
	return out, nil
}

// ValidateImport checks one import input as ImportBulk and ImportBatch do
// (customerId and field limits), so that callers can set invalid rows aside
// before a batch.
func ValidateImport(in ImportInput) error {
	return validateImport("", &in)
}

// validateBulk checks a bulk import before anything is written: size, every
// input, and no customerId twice.
func validateBulk(in []ImportInput) error {
	if len(in) > MaxBulkImport {
		return apperr.BadInput("customers", "at most %d customers can be imported in one call, got %d", MaxBulkImport, len(in))
	}
	seen := make(map[string]int, len(in))
	for i := range in {
		if err := validateImport(fmt.Sprintf("customers[%d].", i), &in[i]); err != nil {
			return err
		}
		if j, dup := seen[in[i].CustomerID]; dup {
			return apperr.BadInput(fmt.Sprintf("customers[%d].customerId", i), "customerId %q appears twice (customers[%d] and customers[%d])", in[i].CustomerID, j, i)
		}
		seen[in[i].CustomerID] = i
	}
	return nil
}

// importRows upserts validated inputs in tx, a chunk of rows per statement.
// When out is non-nil, out[i] is set to what was done with in[i].
func (s *Service) importRows(ctx context.Context, tx *ent.Tx, env uuid.UUID, in []ImportInput, out []Outcome) error {
	now := s.clock.Now()
	// Every lookup runs before the first insert: on PostgreSQL, lookups
	// interleaved with this transaction's own inserts were planned on the
	// table's statistics from before the import and turned into scans of
	// the growing table (a 50 000 import took a minute).
	byID := make(map[string]*ent.Customer)
	for start := 0; start < len(in); start += bulkChunk {
		part := in[start:min(start+bulkChunk, len(in))]
		ids := make([]string, len(part))
		for i := range part {
			ids[i] = part[i].CustomerID
		}
		existing, err := store.ForUpdate(tx.Customer.Query().Where(customer.EnvironmentID(env), customerIDAny(ids), customer.DeletedAtIsNil())).All(ctx)
		if err != nil {
			return err
		}
		for _, c := range existing {
			byID[c.CustomerID] = c
		}
	}
	for start := 0; start < len(in); start += bulkChunk {
		part := in[start:min(start+bulkChunk, len(in))]
		creates := make([]*ent.CustomerCreate, 0, len(part))
		for i := range part {
			if c := byID[part[i].CustomerID]; c != nil {
				_, o, err := s.importOneOutcome(ctx, tx, env, &part[i], c)
				if err != nil {
					return err
				}
				if out != nil {
					out[start+i] = o
				}
				continue
			}
			creates = append(creates, s.createBuilder(tx, env, part[i].CustomerID, &part[i].Fields, now, now))
			if out != nil {
				out[start+i] = OutcomeCreated
			}
		}
		if len(creates) == 0 {
			continue
		}
		created, err := tx.Customer.CreateBulk(creates...).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.New(apperr.DuplicatedEntityNotAllowed, "a customer in this import was created concurrently by another request")
		}
		if err != nil {
			return err
		}
		for _, c := range created {
			if err := s.notify(ctx, tx, OpCreated, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// customerIDAny matches the customers whose slug is one of ids. On
// PostgreSQL it is customer_id = ANY($1), one array parameter: one
// statement text whatever the chunk's size, which the planner maps onto
// the (environment_id, customer_id) unique index. On SQLite it is IN.
func customerIDAny(ids []string) predicate.Customer {
	return func(s *sql.Selector) {
		if s.Dialect() != dialect.Postgres {
			customer.CustomerIDIn(ids...)(s)
			return
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(customer.FieldCustomerID)).WriteString(" = ANY(").Arg(ids).WriteString(")")
		}))
	}
}

// largeImport is the number of customers from which an import refreshes
// the table's planner statistics once it has committed.
const largeImport = 1000

// analyze refreshes the planner's statistics of the customers table after
// a large import. Without it, PostgreSQL planned the next import's
// lookups on statistics from before this one (autovacuum had not run yet)
// and a 50 000-customer import right after another timed out at 30 s;
// after ANALYZE it took 3 s. A failure is ignored, being harmless:
// the statistics stay as they were.
func (s *Service) analyze(ctx context.Context, n int) {
	if n < largeImport {
		return
	}
	_, _ = s.client.ExecContext(ctx, "ANALYZE customers")
}
