package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// recordChange notes that article id changed (or is gone), as the last
// statement of a write transaction: the counter row it bumps stays locked
// until the commit, so sequence numbers are handed out in commit order.
func (s *Store) recordChange(tx *gorm.DB, id int64, deleted bool) error {
	var seq int64
	if err := tx.Raw(`UPDATE change_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq).Error; err != nil {
		return translate(err, "record change")
	}
	if err := tx.Exec(`DELETE FROM changes WHERE article_id = ?`, id).Error; err != nil {
		return translate(err, "record change")
	}
	err := tx.Exec(`INSERT INTO changes (seq, article_id, deleted, changed_at) VALUES (?, ?, ?, ?)`,
		seq, id, deleted, micros(s.now())).Error
	return translate(err, "record change")
}

// recordChanges is recordChange for the n articles that the query ids
// lists (one column, id; args are its arguments), in three statements
// however many they are. Their old entries go first, before the counter
// is bumped, so that its row is locked for as short a time as can be.
// Then one bump of the counter by n hands the set the next n sequence
// numbers, in id order, and one INSERT writes them: the counter row stays
// locked until the commit, as for one change, so sequence order is still
// commit order. ids must list the same n articles in every statement of
// the transaction (their rows locked, or the database held by the one
// writer); an INSERT of another count is rolled back, not committed with
// sequence numbers beyond the counter.
func (s *Store) recordChanges(tx *gorm.DB, n int64, ids string, args ...any) error {
	if n == 0 {
		return nil
	}
	if err := tx.Exec(`DELETE FROM changes WHERE article_id IN (SELECT id FROM (`+ids+`) x)`, args...).Error; err != nil {
		return translate(err, "record changes")
	}
	var last int64
	if err := tx.Raw(`UPDATE change_seq SET seq = seq + ? WHERE id = 1 RETURNING seq`, n).Scan(&last).Error; err != nil {
		return translate(err, "record changes")
	}
	res := tx.Exec(`INSERT INTO changes (seq, article_id, deleted, changed_at)
		SELECT ? + row_number() OVER (ORDER BY x.id), x.id, FALSE, ? FROM (`+ids+`) x`,
		append([]any{last - n, micros(s.now())}, args...)...)
	if res.Error != nil {
		return translate(res.Error, "record changes")
	}
	if res.RowsAffected != n {
		return fmt.Errorf("record changes: %d entries for %d changed articles", res.RowsAffected, n)
	}
	return nil
}

// bumpGeneration advances the change counter without a change of an
// article: a vocabulary edit changes what reads show, and caches keyed by
// the counter must notice.
func bumpGeneration(tx *gorm.DB) error {
	return translate(tx.Exec(`UPDATE change_seq SET seq = seq + 1 WHERE id = 1`).Error, "bump generation")
}

// Changes returns changes after a sequence number, in commit order.
func (s *Store) Changes(ctx context.Context, after int64, limit int, withDrafts bool) ([]news.Change, error) {
	var out []news.Change
	// One read transaction, so the changes and the articles agree.
	err := s.read(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			Seq       int64
			ArticleID int64
			Deleted   bool
			ChangedAt int64
		}
		if err := tx.Raw(`SELECT seq, article_id, deleted, changed_at FROM changes WHERE seq > ? ORDER BY seq`+limitSQL(limit),
			after).Scan(&rows).Error; err != nil {
			return translate(err, "read changes")
		}
		ids := make([]any, 0, len(rows))
		for _, r := range rows {
			if !r.Deleted {
				ids = append(ids, r.ArticleID)
			}
		}
		articles := map[int64]news.Article{}
		if len(ids) > 0 {
			list, err := queryArticles(ctx, tx, `SELECT `+s.dialect.columns(true)+` FROM articles a WHERE a.id IN (`+
				strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, ids)
			if err != nil {
				return translate(err, "read changed articles")
			}
			for _, a := range list {
				articles[a.ID] = a
			}
		}
		for _, r := range rows {
			c := news.Change{Seq: r.Seq, ID: r.ArticleID, Deleted: r.Deleted, At: fromMicros(r.ChangedAt)}
			if !c.Deleted {
				a, ok := articles[r.ArticleID]
				switch {
				case !ok:
					c.Deleted = true // gone since; its deletion follows later in the feed
				case a.Status == news.StatusDraft && !withDrafts:
					c.Deleted = true // not public: a public copy must not hold it
				default:
					c.Article = &a
				}
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// LastChange is the newest sequence number: also the data generation,
// since every change of articles or vocabulary advances it.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx).Raw(`SELECT seq FROM change_seq WHERE id = 1`).Scan(&seq).Error
	return seq, translate(err, "read change sequence")
}
