package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/headlines/headlines/internal/news"
)

// ClaimIdempotencyKey reserves a key, or returns its stored answer.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, principal, key, requestHash string) (*news.Answer, error) {
	now := s.now()
	db := s.w.WithContext(ctx)
	// Keys older than a day are forgotten; the primary key keeps this cheap.
	if err := db.Exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, micros(now.Add(-news.IdempotencyTTL))).Error; err != nil {
		return nil, translate(err, "expire idempotency keys")
	}
	res := db.Exec(`INSERT INTO idempotency_keys (principal, key, request_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (principal, key) DO NOTHING`, principal, key, requestHash, micros(now))
	if res.Error != nil {
		return nil, translate(res.Error, "claim idempotency key")
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var rows []struct {
		RequestHash string
		Status      sql.NullInt64
		Headers     string
		Body        []byte
	}
	if err := db.Raw(`SELECT request_hash, status, headers, body FROM idempotency_keys WHERE principal = ? AND key = ?`,
		principal, key).Scan(&rows).Error; err != nil {
		return nil, translate(err, "read idempotency key")
	}
	if len(rows) == 0 { // expired between the two statements: claim again
		return s.ClaimIdempotencyKey(ctx, principal, key, requestHash)
	}
	r := rows[0]
	if r.RequestHash != requestHash {
		return nil, news.FieldErrorf(news.EValidation, "Idempotency-Key", "was already used for a different request; use a new key for a new request")
	}
	if !r.Status.Valid {
		return nil, news.FieldErrorf(news.EConflict, "Idempotency-Key", "a request with this key is still in progress; retry shortly")
	}
	a := &news.Answer{Status: int(r.Status.Int64), Body: r.Body}
	_ = json.Unmarshal([]byte(r.Headers), &a.Headers)
	return a, nil
}

// CompleteIdempotencyKey stores the answer of a claimed key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, principal, key string, a news.Answer) error {
	headers, _ := json.Marshal(a.Headers)
	err := s.w.WithContext(ctx).Exec(`UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE principal = ? AND key = ?`,
		a.Status, string(headers), a.Body, principal, key).Error
	return translate(err, "store idempotent answer")
}

// ReleaseIdempotencyKey forgets a claimed key.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, principal, key string) error {
	err := s.w.WithContext(ctx).Exec(`DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND status IS NULL`, principal, key).Error
	return translate(err, "release idempotency key")
}
