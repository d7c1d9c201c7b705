package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

func (m *apiKeyModel) toKey() news.APIKey {
	k := news.APIKey{ID: m.ID, Prefix: m.Prefix, Name: m.Name, Role: news.Role(m.Role), CreatedAt: fromMicros(m.CreatedAt)}
	if m.LastUsedAt != nil {
		k.LastUsedAt = fromMicros(*m.LastUsedAt)
	}
	if m.RevokedAt != nil {
		k.RevokedAt = fromMicros(*m.RevokedAt)
	}
	return k
}

// CreateKey stores a new key and returns its secret, shown only now.
func (s *Store) CreateKey(ctx context.Context, name string, role news.Role) (string, news.APIKey, error) {
	name, err := news.CheckKey(name, role)
	if err != nil {
		return "", news.APIKey{}, err
	}
	secret, digest, prefix := news.NewKey()
	m := apiKeyModel{Digest: digest, Prefix: prefix, Name: name, Role: string(role), CreatedAt: micros(s.now())}
	if err := s.w.WithContext(ctx).Create(&m).Error; err != nil {
		return "", news.APIKey{}, translate(err, "create key")
	}
	return secret, m.toKey(), nil
}

// Keys lists every key, oldest first.
func (s *Store) Keys(ctx context.Context) ([]news.APIKey, error) {
	var rows []apiKeyModel
	if err := s.r.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err, "list keys")
	}
	out := make([]news.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].toKey()
	}
	return out, nil
}

// RevokeKey disables a key by id or prefix; it stays listed.
func (s *Store) RevokeKey(ctx context.Context, idOrPrefix string) (news.APIKey, error) {
	var rows []apiKeyModel
	err := s.inTx(ctx, "revoke key", func(tx *gorm.DB) error {
		id, _ := strconv.ParseInt(idOrPrefix, 10, 64)
		if err := tx.Where("id = ? OR prefix = ?", id, idOrPrefix).Find(&rows).Error; err != nil {
			return translate(err, "revoke key")
		}
		switch len(rows) {
		case 0:
			return news.Errorf(news.ENotFound, "no key %q", idOrPrefix)
		case 1:
		default:
			return news.Errorf(news.EConflict, "%q names %d keys; revoke by id", idOrPrefix, len(rows))
		}
		if rows[0].RevokedAt != nil {
			return nil
		}
		now := micros(s.now())
		rows[0].RevokedAt = &now
		return translate(tx.Model(&rows[0]).Update("revoked_at", now).Error, "revoke key")
	})
	if err != nil {
		return news.APIKey{}, err
	}
	return rows[0].toKey(), nil
}

// Authenticate returns the working key with this digest.
func (s *Store) Authenticate(ctx context.Context, digest string) (news.APIKey, error) {
	var m apiKeyModel
	// From the primary: a key revoked a moment ago must stop working.
	err := s.r.WithContext(ctx).Where("digest = ? AND revoked_at IS NULL", digest).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return news.APIKey{}, news.Errorf(news.EUnauthorized, "unknown or revoked key")
	}
	if err != nil {
		return news.APIKey{}, translate(err, "authenticate")
	}
	k := m.toKey()
	now := s.now()
	// last_used_at is written at most once a minute per key, so that
	// authentication does not turn every read into a write.
	if last, ok := s.keyUse.Load(k.ID); !ok || now.Sub(last.(time.Time)) > time.Minute {
		s.keyUse.Store(k.ID, now)
		if err := s.w.WithContext(ctx).Model(&m).Update("last_used_at", micros(now)).Error; err != nil {
			return news.APIKey{}, translate(err, "note key use")
		}
		k.LastUsedAt = now
	}
	return k, nil
}
