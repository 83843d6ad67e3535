// Command testsummary reads `go test -json` from stdin, prints what plain
// `go test` prints (a line per package, and the output of failing tests),
// and ends with one line that lists every skipped test grouped by its
// reason, so a run that skipped a service's tests says so at the bottom
// instead of only with -v. It exits 1 when a test or package failed.
//
// Usage: go test -json ./... | go run ./scripts/testsummary
// (bash scripts/test.sh does exactly that).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// location is the "file_test.go:12: " prefix testing puts before t.Skip's
// message.
var location = regexp.MustCompile(`^\s*[\w./-]+\.go:\d+: `)

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	type key struct{ pkg, test string }
	outputs := map[key][]string{}
	type skip struct{ pkg, test, reason string }
	var skips []skip
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (a build error printed by go itself): pass it on.
			fmt.Fprintln(out, string(line))
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "output":
			if e.Test == "" {
				// Package lines: "ok  pkg 1.2s", "FAIL pkg", "?  pkg [no
				// test files]"; the PASS/FAIL markers -json adds are noise.
				if t := strings.TrimSpace(e.Output); t != "PASS" && t != "FAIL" && !strings.HasPrefix(t, "=== ") {
					fmt.Fprint(out, e.Output)
				}
				continue
			}
			outputs[k] = append(outputs[k], e.Output)
		case "fail":
			if e.Test != "" {
				failed = true
				for _, o := range outputs[k] {
					fmt.Fprint(out, o)
				}
			} else {
				failed = true
			}
			delete(outputs, k)
		case "skip":
			if e.Test != "" {
				skips = append(skips, skip{e.Package, e.Test, reason(outputs[k])})
			}
			delete(outputs, k)
		case "pass":
			delete(outputs, k)
		}
	}
	fmt.Fprintln(out, summary(len(skips), func(yield func(reason, where string)) {
		for _, s := range skips {
			yield(s.reason, s.pkg+" "+s.test)
		}
	}))
	if failed {
		return 1
	}
	return 0
}

// reason is the message a skipped test gave (its t.Skip text).
func reason(lines []string) string {
	var msg []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		msg = append(msg, strings.TrimSpace(location.ReplaceAllString(l, "")))
	}
	if len(msg) == 0 {
		return "no reason given"
	}
	return shorten(msg[len(msg)-1])
}

// maxReason keeps the one line readable: a reason carrying a whole driver
// error is cut (the test's own output has it in full with -v).
const maxReason = 160

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= maxReason {
		return s
	}
	return string(r[:maxReason-1]) + "…"
}

// summary is the one closing line: "skipped: none", or the skipped tests
// grouped by reason, most frequent first, with one example each.
func summary(n int, each func(func(reason, where string))) string {
	if n == 0 {
		return "skipped: none"
	}
	count := map[string]int{}
	example := map[string]string{}
	each(func(r, where string) {
		count[r]++
		if _, ok := example[r]; !ok {
			example[r] = where
		}
	})
	reasons := make([]string, 0, len(count))
	for r := range count {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if count[reasons[i]] != count[reasons[j]] {
			return count[reasons[i]] > count[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d × %s (e.g. %s)", count[r], r, example[r])
	}
	noun := "tests"
	if n == 1 {
		noun = "test"
	}
	return fmt.Sprintf("skipped: %d %s: %s", n, noun, strings.Join(parts, "; "))
}
