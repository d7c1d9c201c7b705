package news

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what an API key may do. Each role includes the ones below it.
type Role string

// The roles, weakest first.
const (
	RoleReader Role = "reader" // reads, with a rate limit of its own
	RoleEditor Role = "editor" // writes articles and themes, sees drafts
	RoleAdmin  Role = "admin"  // everything an editor may do; the highest role
)

var roleRank = map[Role]int{RoleReader: 1, RoleEditor: 2, RoleAdmin: 3}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return roleRank[r] > 0 }

// Allows reports whether a key with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return roleRank[r] >= roleRank[need] && roleRank[need] > 0 }

// KeyPrefixLen is how much of a key is kept in clear, to tell keys apart.
const KeyPrefixLen = 11

// APIKey is a stored API key. The secret itself is never stored: only its
// SHA-256 digest and a short prefix for display.
type APIKey struct {
	ID         int64
	Prefix     string
	Name       string
	Role       Role
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while the key works
}

// NewKey makes a random key ("hl_" and 43 URL-safe characters, 256 bits)
// and returns it with its digest and display prefix.
func NewKey() (secret, digest, prefix string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	secret = "hl_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, KeyDigest(secret), secret[:KeyPrefixLen]
}

// KeyDigest is the hex SHA-256 of a key, the form in which keys are stored
// and looked up.
func KeyDigest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CheckKey checks the name and role of a new key and returns the name
// trimmed; EValidation lists every failing field. A name is one line that
// `headlines keys list` prints to a terminal, so it may hold no control
// character.
func CheckKey(name string, role Role) (string, error) {
	var p Problems
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		p.Add("name", "must be 1 to 100 characters")
	} else if msg := ControlProblem(name, false); msg != "" {
		p.Add("name", "%s", msg)
	}
	if !role.Valid() {
		p.Add("role", "must be reader, editor or admin, got %q", string(role))
	}
	return name, p.Err(EValidation, "the key has invalid fields")
}

// KeyService stores API keys.
type KeyService interface {
	// CreateKey stores a new key for name with role and returns the secret,
	// which is shown once and never again. EValidation for a bad name or role.
	CreateKey(ctx context.Context, name string, role Role) (secret string, key APIKey, err error)
	// Keys lists every key, revoked ones included, oldest first.
	Keys(ctx context.Context) ([]APIKey, error)
	// RevokeKey disables the key with this id or prefix; ENotFound.
	RevokeKey(ctx context.Context, idOrPrefix string) (APIKey, error)
	// Authenticate returns the working key with this digest and notes its
	// use; EUnauthorized when there is none or it was revoked.
	Authenticate(ctx context.Context, digest string) (APIKey, error)
}
