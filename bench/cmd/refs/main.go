// Command refs prints, one a line, the customerIds of up to --limit
// customers with exactly --subscriptions subscriptions in a seeded database:
// the customers scripts/bench.sh sends the official client's
// GetCustomerById (Q4) for.
package main

import (
	"bufio"
	"context"
	"flag"
	"log"
	"os"

	"github.com/stigg-selfhost/stiggql/bench/benchdata"
)

func main() {
	dbURL := flag.String("db", "file:stigg.db", "database (as the server's --db)")
	env := flag.String("environment", "default", "environment slug")
	subs := flag.Int("subscriptions", 2, "number of subscriptions the customers have")
	limit := flag.Int("limit", 1000, "most customerIds printed")
	flag.Parse()
	ctx := context.Background()
	st, envID, err := benchdata.Open(ctx, *dbURL, *env)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	refs, err := benchdata.CustomersWithSubscriptions(ctx, st.DB, st.Dialect, envID, *subs, *limit)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, r := range refs {
		w.WriteString(r + "\n")
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}
