package proof

import (
	"context"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/proof/abuse"
	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestAbuse sends deep, complex, alias-heavy, batched and oversized
// requests at a server with its default limits while normal traffic goes
// on: the server stays up, refuses every abusive request with its code,
// and answers every normal request. Four abusers send 500 requests/s in
// all (about 1.6 times the normal traffic), with a key of their own, as a
// misbehaving integration would; the default per-key rate limits stay on.
//
// Default: 1 s of baseline and 5 s of abuse, without a latency bound (the
// machine running go test ./... is busy with other packages). Long: 10 s
// and 60 s, and the normal p99 must stay within 2x of the baseline's.
func TestAbuse(t *testing.T) {
	d := freshDatabase(t, testdb.SQLite)
	srv := d.serve(t)
	abuseKey, err := serverproc.CreateKey(context.Background(), d.url, "default")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := abuse.Run(context.Background(), abuse.Config{
		URL: srv.URL, Key: proofKey, AbuseKey: abuseKey,
		AbuseRate: 500,
		ServerPID: srv.Pid(),
		Calibrate: pick(0, 300),
		Baseline:  pick(time.Second, 10*time.Second),
		Duration:  pick(5*time.Second, 60*time.Second),
		Logf:      t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	for _, p := range rep.Problems(long(), 2) {
		t.Error(p)
	}
	if n := srv.Count("panic"); n > 0 {
		t.Errorf("the server logged %d panics", n)
	}
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
}
