package nestquery

import "strings"

// likePattern is a parsed LIKE pattern: a sequence of literal characters and
// the wildcards % and _. Parsing once and rendering per dialect keeps the
// meaning of a pattern identical on PostgreSQL (LIKE / ILIKE) and SQLite
// (GLOB / LIKE).
type likePattern []likeToken

type likeToken struct {
	r    rune
	wild bool // r is '%' (any run) or '_' (one character)
}

// parseLike reads a pattern with PostgreSQL's default LIKE syntax: % and _
// are wildcards, a backslash makes the next character literal. A trailing
// lone backslash is taken as a literal backslash (PostgreSQL would reject
// the pattern).
func parseLike(s string) likePattern {
	p := make(likePattern, 0, len(s))
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			p = append(p, likeToken{r: r})
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%' || r == '_':
			p = append(p, likeToken{r: r, wild: true})
		default:
			p = append(p, likeToken{r: r})
		}
	}
	if escaped {
		p = append(p, likeToken{r: '\\'})
	}
	return p
}

// SubstringTerm returns term when pattern is %term%, with a term of at
// least min characters and no wildcard of its own (an escaped % or _ is a
// literal and fine): the patterns a substring index can answer.
func SubstringTerm(pattern string, min int) (string, bool) {
	p := parseLike(pattern)
	if len(p) < min+2 || !p[0].wild || p[0].r != '%' || !p[len(p)-1].wild || p[len(p)-1].r != '%' {
		return "", false
	}
	var b strings.Builder
	for _, t := range p[1 : len(p)-1] {
		if t.wild {
			return "", false
		}
		b.WriteRune(t.r)
	}
	return b.String(), true
}

// like renders the pattern for LIKE / ILIKE with '\' as the escape
// character (PostgreSQL's default; SQLite needs ESCAPE '\').
func (p likePattern) like() string {
	var b strings.Builder
	for _, t := range p {
		if !t.wild && (t.r == '%' || t.r == '_' || t.r == '\\') {
			b.WriteByte('\\')
		}
		b.WriteRune(t.r)
	}
	return b.String()
}

// glob renders the pattern for SQLite's GLOB: % becomes *, _ becomes ?, and
// GLOB's own special characters are matched literally through one-character
// classes ([*], [?], [[]).
func (p likePattern) glob() string {
	var b strings.Builder
	for _, t := range p {
		switch {
		case t.wild && t.r == '%':
			b.WriteByte('*')
		case t.wild:
			b.WriteByte('?')
		case t.r == '*' || t.r == '?' || t.r == '[':
			b.WriteByte('[')
			b.WriteRune(t.r)
			b.WriteByte(']')
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}
