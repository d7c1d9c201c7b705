package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/headlines/headlines/internal/news"
)

// ClaimIdempotencyKey reserves a key for lease, takes over a claim whose
// lease ended unanswered, or returns the key's stored answer.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, principal, key, requestHash string, lease time.Duration) (news.Claim, *news.Answer, error) {
	for {
		now := s.now()
		c := news.Claim{Principal: principal, Key: key, Until: now.Add(lease)}
		fresh, err := s.claimNew(ctx, c, requestHash, now)
		if err != nil {
			return news.Claim{}, nil, err
		}
		if fresh {
			return c, nil, nil
		}
		var r idempotencyKeyModel
		err = s.w.WithContext(ctx).Where("principal = ? AND key = ?", principal, key).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) { // expired or released between the two statements: claim again
			continue
		}
		if err != nil {
			return news.Claim{}, nil, translate(err, "read idempotency key")
		}
		if r.RequestHash != requestHash {
			return news.Claim{}, nil, news.FieldErrorf(news.EValidation, "Idempotency-Key", "was already used for a different request; use a new key for a new request")
		}
		if r.Status != nil {
			a := &news.Answer{Status: *r.Status, Body: r.Body}
			_ = json.Unmarshal([]byte(r.Headers), &a.Headers)
			return news.Claim{}, a, nil
		}
		if r.LeaseUntil >= micros(now) {
			held := news.Claim{Principal: principal, Key: key, Until: fromMicros(r.LeaseUntil)}
			return held, nil, news.FieldErrorf(news.EConflict, "Idempotency-Key", "a request with this key is still in progress; retry shortly")
		}
		// The run that holds the claim was cut off: take it over, unless
		// another retry did so first (then look again).
		res := s.w.WithContext(ctx).Model(&idempotencyKeyModel{}).
			Where("principal = ? AND key = ? AND status IS NULL AND lease_until = ?", principal, key, r.LeaseUntil).
			Update("lease_until", micros(c.Until))
		if res.Error != nil {
			return news.Claim{}, nil, translate(res.Error, "take over idempotency key")
		}
		if res.RowsAffected == 1 {
			return c, nil, nil
		}
	}
}

// claimNew forgets the keys older than a day, then claims c for the
// request whose hash is requestHash, unless the key is there already:
// it reports whether c is new.
func (s *Store) claimNew(ctx context.Context, c news.Claim, requestHash string, now time.Time) (fresh bool, err error) {
	err = s.inTx(ctx, "claim idempotency key", func(tx *gorm.DB) error {
		// Keys older than a day are forgotten, and the records of their
		// writes with them; the indexes on created_at keep this cheap.
		cutoff := micros(now.Add(-news.IdempotencyTTL))
		if err := tx.Where("created_at < ?", cutoff).Delete(&idempotencyKeyModel{}).Error; err != nil {
			return err
		}
		if err := tx.Where("created_at < ?", cutoff).Delete(&idempotencyEffectModel{}).Error; err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&idempotencyKeyModel{
			Principal: c.Principal, Key: c.Key, RequestHash: requestHash, Headers: "{}",
			CreatedAt: micros(now), LeaseUntil: micros(c.Until),
		})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		fresh = true
		// A new use of the key: the writes of an older one, forgotten
		// with its key a moment before their own records, are not its.
		return tx.Where("principal = ? AND key = ?", c.Principal, c.Key).Delete(&idempotencyEffectModel{}).Error
	})
	return fresh, err
}

// CompleteIdempotencyKey stores the answer of a claimed key. When two runs
// of a request overlap (one taken over while still running), the first
// answer stored stays: both are about the same writes.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, c news.Claim, a news.Answer) error {
	headers, _ := json.Marshal(a.Headers)
	err := s.w.WithContext(ctx).Model(&idempotencyKeyModel{}).
		Where("principal = ? AND key = ? AND status IS NULL", c.Principal, c.Key).
		Updates(map[string]any{"status": a.Status, "headers": string(headers), "body": a.Body}).Error
	return translate(err, "store idempotent answer")
}

// ReleaseIdempotencyKey forgets a claim that is still c's own.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, c news.Claim) error {
	err := s.w.WithContext(ctx).Where("principal = ? AND key = ? AND status IS NULL AND lease_until = ?",
		c.Principal, c.Key, micros(c.Until)).Delete(&idempotencyKeyModel{}).Error
	return translate(err, "release idempotency key")
}

// effectOf reads the record of the write o through db, if it was committed.
func effectOf(db *gorm.DB, o news.Once) (idempotencyEffectModel, bool, error) {
	var rows []idempotencyEffectModel
	err := db.Where("principal = ? AND key = ? AND item = ?", o.Principal, o.Key, o.Item).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return idempotencyEffectModel{}, false, translate(err, "read idempotent write")
	}
	return rows[0], true, nil
}

// recordEffect records, in the write's own transaction tx, that o made or
// replaced article id. A second run of the same request committing o too
// breaks the primary key: its transaction fails, and nothing of it stays.
func (s *Store) recordEffect(tx *gorm.DB, o news.Once, id int64, created bool) error {
	err := tx.Create(&idempotencyEffectModel{Principal: o.Principal, Key: o.Key, Item: o.Item,
		ArticleID: id, Created: created, CreatedAt: micros(s.now())}).Error
	return translate(err, "record idempotent write")
}

// replay reads the article that an earlier run of o's request wrote.
// Inside a write transaction ctx is the transaction's own, which on
// SQLite does not end with the request (see groupCommit.commit).
func (s *Store) replay(ctx context.Context, db *gorm.DB, e idempotencyEffectModel) (news.Article, error) {
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
		if a, err = s.insert(tx, d); err != nil {
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
			var existing int64
			if d.URL != "" {
				if existing, err = articleWithURL(tx, d.URL, 0); err != nil {
					return translate(err, "upsert article")
				}
			}
			if created = existing == 0; created {
				a, err = s.insert(tx, d)
			} else {
				a, err = s.update(tx, existing, d, 0)
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
