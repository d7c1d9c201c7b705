package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// ClaimIdempotencyKey reserves a key for lease, takes over a claim whose
// lease ended unanswered, or returns the key's stored answer.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, principal, key, requestHash string, lease time.Duration) (news.Claim, *news.Answer, error) {
	for {
		now := s.now()
		c := news.Claim{Principal: principal, Key: key, Until: now.Add(lease)}
		var fresh bool
		err := s.inTx(ctx, "claim idempotency key", func(tx *gorm.DB) error {
			// Keys older than a day are forgotten, and the records of their
			// writes with them; the indexes on created_at keep this cheap.
			cutoff := micros(now.Add(-news.IdempotencyTTL))
			if err := tx.Exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, cutoff).Error; err != nil {
				return err
			}
			if err := tx.Exec(`DELETE FROM idempotency_effects WHERE created_at < ?`, cutoff).Error; err != nil {
				return err
			}
			res := tx.Exec(`INSERT INTO idempotency_keys (principal, key, request_hash, created_at, lease_until) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (principal, key) DO NOTHING`, principal, key, requestHash, micros(now), micros(c.Until))
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			fresh = true
			// A new use of the key: the writes of an older one, forgotten
			// with its key a moment before their own records, are not its.
			return tx.Exec(`DELETE FROM idempotency_effects WHERE principal = ? AND key = ?`, principal, key).Error
		})
		if err != nil {
			return news.Claim{}, nil, err
		}
		if fresh {
			return c, nil, nil
		}
		var rows []struct {
			RequestHash string
			Status      sql.NullInt64
			Headers     string
			Body        []byte
			LeaseUntil  int64
		}
		if err := s.w.WithContext(ctx).Raw(`SELECT request_hash, status, headers, body, lease_until FROM idempotency_keys WHERE principal = ? AND key = ?`,
			principal, key).Scan(&rows).Error; err != nil {
			return news.Claim{}, nil, translate(err, "read idempotency key")
		}
		if len(rows) == 0 { // expired or released between the two statements: claim again
			continue
		}
		r := rows[0]
		if r.RequestHash != requestHash {
			return news.Claim{}, nil, news.FieldErrorf(news.EValidation, "Idempotency-Key", "was already used for a different request; use a new key for a new request")
		}
		if r.Status.Valid {
			a := &news.Answer{Status: int(r.Status.Int64), Body: r.Body}
			_ = json.Unmarshal([]byte(r.Headers), &a.Headers)
			return news.Claim{}, a, nil
		}
		if r.LeaseUntil >= micros(now) {
			held := news.Claim{Principal: principal, Key: key, Until: fromMicros(r.LeaseUntil)}
			return held, nil, news.FieldErrorf(news.EConflict, "Idempotency-Key", "a request with this key is still in progress; retry shortly")
		}
		// The run that holds the claim was cut off: take it over, unless
		// another retry did so first (then look again).
		res := s.w.WithContext(ctx).Exec(`UPDATE idempotency_keys SET lease_until = ? WHERE principal = ? AND key = ? AND status IS NULL AND lease_until = ?`,
			micros(c.Until), principal, key, r.LeaseUntil)
		if res.Error != nil {
			return news.Claim{}, nil, translate(res.Error, "take over idempotency key")
		}
		if res.RowsAffected == 1 {
			return c, nil, nil
		}
	}
}

// CompleteIdempotencyKey stores the answer of a claimed key. When two runs
// of a request overlap (one taken over while still running), the first
// answer stored stays: both are about the same writes.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, c news.Claim, a news.Answer) error {
	headers, _ := json.Marshal(a.Headers)
	err := s.w.WithContext(ctx).Exec(`UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE principal = ? AND key = ? AND status IS NULL`,
		a.Status, string(headers), a.Body, c.Principal, c.Key).Error
	return translate(err, "store idempotent answer")
}

// ReleaseIdempotencyKey forgets a claim that is still c's own.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, c news.Claim) error {
	err := s.w.WithContext(ctx).Exec(`DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND status IS NULL AND lease_until = ?`,
		c.Principal, c.Key, micros(c.Until)).Error
	return translate(err, "release idempotency key")
}

// effect is the recorded write o, if it was committed.
type effect struct {
	ArticleID int64
	Created   bool
}

// effectOf reads the record of the write o through db.
func effectOf(db *gorm.DB, o news.Once) (effect, bool, error) {
	var rows []effect
	err := db.Raw(`SELECT article_id, created FROM idempotency_effects WHERE principal = ? AND key = ? AND item = ?`,
		o.Principal, o.Key, o.Item).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return effect{}, false, translate(err, "read idempotent write")
	}
	return rows[0], true, nil
}

// recordEffect records, in the write's own transaction tx, that o made or
// replaced article id. A second run of the same request committing o too
// breaks the primary key: its transaction fails, and nothing of it stays.
func (s *Store) recordEffect(tx *gorm.DB, o news.Once, id int64, created bool) error {
	err := tx.Exec(`INSERT INTO idempotency_effects (principal, key, item, article_id, created, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		o.Principal, o.Key, o.Item, id, created, micros(s.now())).Error
	return translate(err, "record idempotent write")
}

// replay reads the article that an earlier run of o's request wrote.
// Inside a write transaction ctx is the transaction's own, which on
// SQLite does not end with the request (see groupCommit.commit).
func (s *Store) replay(ctx context.Context, db *gorm.DB, e effect) (news.Article, error) {
	a, err := s.article(ctx, db, e.ArticleID, true)
	if news.ErrorCode(err) == news.ENotFound {
		return a, news.Errorf(news.ENotFound, "article %d, written by the first run of this request, has since been deleted", e.ArticleID)
	}
	return a, err
}

// afterConflict answers a write o that failed with a conflict: when
// another run of the same request committed o meanwhile (PostgreSQL,
// whose transactions see each other's commits only at their end), its
// article is the answer; otherwise the conflict is.
func (s *Store) afterConflict(ctx context.Context, o news.Once, err error) (news.Article, bool, bool, error) {
	if news.ErrorCode(err) != news.EConflict {
		return news.Article{}, false, false, err
	}
	e, ok, rerr := effectOf(s.r.WithContext(ctx), o)
	if rerr != nil || !ok {
		return news.Article{}, false, false, err
	}
	a, rerr := s.replay(ctx, s.r, e)
	return a, e.Created, true, rerr
}

// CreateArticleOnce stores a normalized draft as the write o, at most once.
func (s *Store) CreateArticleOnce(ctx context.Context, o news.Once, d news.Draft) (a news.Article, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		e, done, err := effectOf(tx, o)
		if err != nil {
			return err
		}
		if done {
			a, err = s.replay(tx.Statement.Context, tx, e)
			return err
		}
		if a, err = s.insert(ctx, tx, d); err != nil {
			return err
		}
		return s.recordEffect(tx, o, a.ID, true)
	})
	if won, _, ok, werr := s.afterConflict(ctx, o, err); ok {
		return won, werr
	}
	return a, s.nameExisting(ctx, err, d.URL)
}

// UpsertArticleOnce creates an article or replaces the one with the same
// URL, as the write o, at most once. When another transaction inserts the
// same URL first, it tries once more and replaces that one.
func (s *Store) UpsertArticleOnce(ctx context.Context, o news.Once, d news.Draft) (a news.Article, created bool, err error) {
	for attempt := 0; ; attempt++ {
		err = s.tx(ctx, func(tx *gorm.DB) error {
			e, done, err := effectOf(tx, o)
			if err != nil {
				return err
			}
			if done {
				created = e.Created
				a, err = s.replay(tx.Statement.Context, tx, e)
				return err
			}
			var ids []int64
			if d.URL != "" {
				if err := tx.Raw(sqlFindURL, d.URL).Scan(&ids).Error; err != nil {
					return translate(err, "upsert article")
				}
			}
			if created = len(ids) == 0; created {
				a, err = s.insert(ctx, tx, d)
			} else {
				a, err = s.update(ctx, tx, ids[0], d, 0)
			}
			if err != nil {
				return err
			}
			return s.recordEffect(tx, o, a.ID, created)
		})
		if won, wonCreated, ok, werr := s.afterConflict(ctx, o, err); ok {
			return won, wonCreated, werr
		}
		if news.ErrorCode(err) != news.EConflict || attempt > 0 {
			return a, created, err
		}
	}
}
