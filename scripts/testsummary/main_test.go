package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSummary feeds a recorded `go test -json` stream: a pass, two skips
// for one reason and one for another, a failure; the output keeps the
// package lines and the failure's output, and ends with one line grouping
// the skips.
func TestSummary(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"p/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"pass","Package":"p/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"p/a","Test":"TestPG/postgres","Output":"    db_test.go:12: PostgreSQL not reachable; set TEST_DATABASE_URL\n"}`,
		`{"Action":"output","Package":"p/a","Test":"TestPG/postgres","Output":"--- SKIP: TestPG/postgres (0.00s)\n"}`,
		`{"Action":"skip","Package":"p/a","Test":"TestPG/postgres"}`,
		`{"Action":"output","Package":"p/b","Test":"TestPG2","Output":"    x_test.go:9: PostgreSQL not reachable; set TEST_DATABASE_URL\n"}`,
		`{"Action":"skip","Package":"p/b","Test":"TestPG2"}`,
		`{"Action":"output","Package":"p/b","Test":"TestBrowser","Output":"    b.go:1: Chromium is not installed\n"}`,
		`{"Action":"skip","Package":"p/b","Test":"TestBrowser"}`,
		`{"Action":"output","Package":"p/b","Test":"TestBad","Output":"    bad_test.go:3: want 1, got 2\n"}`,
		`{"Action":"fail","Package":"p/b","Test":"TestBad"}`,
		`{"Action":"output","Package":"p/a","Output":"PASS\n"}`,
		`{"Action":"output","Package":"p/a","Output":"ok  \tp/a\t0.1s\n"}`,
		`{"Action":"output","Package":"p/b","Output":"FAIL\tp/b\t0.1s\n"}`,
		`{"Action":"fail","Package":"p/b"}`,
	}, "\n")
	var out bytes.Buffer
	if code := run(strings.NewReader(in), &out); code != 1 {
		t.Errorf("exit %d, want 1 (a test failed)", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := "skipped: 3 tests: 2 × PostgreSQL not reachable; set TEST_DATABASE_URL (e.g. p/a TestPG/postgres); 1 × Chromium is not installed (e.g. p/b TestBrowser)"
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("last line\n%s\nwant\n%s", last, want)
	}
	for _, s := range []string{"ok  \tp/a\t0.1s", "FAIL\tp/b\t0.1s", "want 1, got 2"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "=== RUN") {
		t.Errorf("verbose lines leaked:\n%s", out.String())
	}
	out.Reset()
	if code := run(strings.NewReader(`{"Action":"pass","Package":"p/a","Test":"TestOK"}`), &out); code != 0 || strings.TrimSpace(out.String()) != "skipped: none" {
		t.Errorf("clean run: %d %q", code, out.String())
	}
}
