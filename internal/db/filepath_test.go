package db

import "testing"

func TestFilePath(t *testing.T) {
	for url, want := range map[string]string{
		"":                               "stigg.db",
		"file:stigg.db":                  "stigg.db",
		"file:/var/lib/s.db?_busy=1":     "/var/lib/s.db",
		"file:///var/lib/s.db":           "/var/lib/s.db",
		"file://localhost/var/lib/s.db":  "/var/lib/s.db",
		"file://elsewhere/var/lib/s.db":  "",
		"sqlite://data/s.sqlite":         "data/s.sqlite",
		"data/s.db":                      "data/s.db",
		"file::memory:?cache=shared":     "",
		"file:x.db?mode=memory":          "",
		":memory:":                       "",
		"postgres://u@localhost:5432/db": "",
		"mysql://x":                      "",
	} {
		if got := FilePath(url); got != want {
			t.Errorf("FilePath(%q) = %q, want %q", url, got, want)
		}
	}
}
