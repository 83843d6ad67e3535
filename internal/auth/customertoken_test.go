package auth

import (
	"strings"
	"testing"
)

// TestCustomerToken checks the documented format (a backend's token
// verifies) and that every alteration is refused.
func TestCustomerToken(t *testing.T) {
	const secret = "sign-0123"
	// The README's recipe, as a backend computes it: openssl/Node give the
	// same hex digest.
	tok := CustomerToken(secret, "cust-1")
	if !strings.HasPrefix(tok, "HMAC-SHA256 cust-1:") || len(tok) != len("HMAC-SHA256 cust-1:")+64 {
		t.Fatalf("token %q", tok)
	}
	if id, ok := VerifyCustomerToken(secret, tok); !ok || id != "cust-1" {
		t.Fatalf("verify: %q %v", id, ok)
	}
	if id, ok := VerifyCustomerToken(secret, CustomerToken(secret, "a:b:c")); !ok || id != "a:b:c" {
		t.Fatalf("id with colons: %q %v", id, ok)
	}
	for name, bad := range map[string]string{
		"other secret":   CustomerToken("sign-other", "cust-1"),
		"other customer": strings.Replace(tok, "cust-1", "cust-2", 1),
		"no scheme":      strings.TrimPrefix(tok, "HMAC-SHA256 "),
		"not hex":        tok[:len(tok)-1] + "z",
		"short":          tok[:len(tok)-2],
		"empty":          "",
		"no id":          "HMAC-SHA256 :" + tok[len(tok)-64:],
	} {
		if _, ok := VerifyCustomerToken(secret, bad); ok {
			t.Errorf("%s: %q verified", name, bad)
		}
	}
	if _, ok := VerifyCustomerToken("", tok); ok {
		t.Error("verified without a secret")
	}
}
