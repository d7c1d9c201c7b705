package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

type keyRow struct {
	ID         int64
	Prefix     string
	Name       string
	Role       string
	CreatedAt  int64
	LastUsedAt sql.NullInt64
	RevokedAt  sql.NullInt64
}

func (r keyRow) toKey() news.APIKey {
	k := news.APIKey{ID: r.ID, Prefix: r.Prefix, Name: r.Name, Role: news.Role(r.Role), CreatedAt: fromMicros(r.CreatedAt)}
	if r.LastUsedAt.Valid {
		k.LastUsedAt = fromMicros(r.LastUsedAt.Int64)
	}
	if r.RevokedAt.Valid {
		k.RevokedAt = fromMicros(r.RevokedAt.Int64)
	}
	return k
}

const keyColumns = `id, prefix, name, role, created_at, last_used_at, revoked_at`

// CreateKey stores a new key and returns its secret, shown only now.
func (s *Store) CreateKey(ctx context.Context, name string, role news.Role) (string, news.APIKey, error) {
	name, err := news.CheckKey(name, role)
	if err != nil {
		return "", news.APIKey{}, err
	}
	secret, digest, prefix := news.NewKey()
	var rows []keyRow
	err = s.w.WithContext(ctx).Raw(`INSERT INTO api_keys (digest, prefix, name, role, created_at) VALUES (?, ?, ?, ?, ?) RETURNING `+keyColumns,
		digest, prefix, name, string(role), micros(s.now())).Scan(&rows).Error
	if err != nil {
		return "", news.APIKey{}, translate(err, "create key")
	}
	return secret, rows[0].toKey(), nil
}

// Keys lists every key, oldest first.
func (s *Store) Keys(ctx context.Context) ([]news.APIKey, error) {
	var rows []keyRow
	if err := s.r.WithContext(ctx).Raw(`SELECT ` + keyColumns + ` FROM api_keys ORDER BY id`).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list keys")
	}
	out := make([]news.APIKey, len(rows))
	for i, r := range rows {
		out[i] = r.toKey()
	}
	return out, nil
}

// RevokeKey disables a key by id or prefix; it stays listed.
func (s *Store) RevokeKey(ctx context.Context, idOrPrefix string) (news.APIKey, error) {
	var rows []keyRow
	err := s.inTx(ctx, "revoke key", func(tx *gorm.DB) error {
		id, _ := strconv.ParseInt(idOrPrefix, 10, 64)
		if err := tx.Raw(`SELECT `+keyColumns+` FROM api_keys WHERE id = ? OR prefix = ?`, id, idOrPrefix).Scan(&rows).Error; err != nil {
			return translate(err, "revoke key")
		}
		switch len(rows) {
		case 0:
			return news.Errorf(news.ENotFound, "no key %q", idOrPrefix)
		case 1:
		default:
			return news.Errorf(news.EConflict, "%q names %d keys; revoke by id", idOrPrefix, len(rows))
		}
		if rows[0].RevokedAt.Valid {
			return nil
		}
		now := micros(s.now())
		rows[0].RevokedAt = sql.NullInt64{Int64: now, Valid: true}
		return translate(tx.Exec(`UPDATE api_keys SET revoked_at = ? WHERE id = ?`, now, rows[0].ID).Error, "revoke key")
	})
	if err != nil {
		return news.APIKey{}, err
	}
	return rows[0].toKey(), nil
}

// Authenticate returns the working key with this digest.
func (s *Store) Authenticate(ctx context.Context, digest string) (news.APIKey, error) {
	var rows []keyRow
	// From the primary: a key revoked a moment ago must stop working.
	if err := s.r.WithContext(ctx).Raw(`SELECT `+keyColumns+` FROM api_keys WHERE digest = ? AND revoked_at IS NULL`, digest).Scan(&rows).Error; err != nil {
		return news.APIKey{}, translate(err, "authenticate")
	}
	if len(rows) == 0 {
		return news.APIKey{}, news.Errorf(news.EUnauthorized, "unknown or revoked key")
	}
	k := rows[0].toKey()
	now := s.now()
	// last_used_at is written at most once a minute per key, so that
	// authentication does not turn every read into a write.
	if last, ok := s.keyUse.Load(k.ID); !ok || now.Sub(last.(time.Time)) > time.Minute {
		s.keyUse.Store(k.ID, now)
		if err := s.w.WithContext(ctx).Exec(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`, micros(now), k.ID).Error; err != nil {
			return news.APIKey{}, translate(err, "note key use")
		}
		k.LastUsedAt = now
	}
	return k, nil
}
