package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/headlines/headlines/internal/news"
)

// recordChange notes that article id changed (or is gone), as the last
// statement of a write transaction: the counter row it bumps stays locked
// until the commit, so sequence numbers are handed out in commit order.
// The article's entry is replaced by one with the new number. In a
// PostgreSQL batch of writes (group.go) the entry is left with the
// batch's pendingChanges instead, which writes them all at its end.
func (s *Store) recordChange(tx *gorm.DB, id int64, deleted bool) error {
	if p := pendingIn(tx.Statement.Context); p != nil {
		p.add(id, deleted, micros(s.now()))
		return nil
	}
	seq, err := bumpSeq(tx, 1)
	if err != nil {
		return translate(err, "record change")
	}
	c := changeModel{Seq: seq, ArticleID: id, Deleted: deleted, ChangedAt: micros(s.now())}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "article_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"seq", "deleted", "changed_at"}),
	}).Create(&c).Error
	return translate(err, "record change")
}

// pendingChanges are the change entries of a PostgreSQL batch of writes
// (group.go), which recordChange leaves here when the context of its
// transaction holds them, to be written together when the batch ends
// (record). A nil *pendingChanges holds none and records nothing.
type pendingChanges struct {
	ids     []int64
	deleted []bool
	at      []int64
}

type pendingKey struct{}

// in returns ctx holding p, or ctx itself when p is nil.
func (p *pendingChanges) in(ctx context.Context) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, pendingKey{}, p)
}

// pendingIn returns the pending changes that ctx holds, if any.
func pendingIn(ctx context.Context) *pendingChanges {
	if ctx == nil {
		return nil
	}
	p, _ := ctx.Value(pendingKey{}).(*pendingChanges)
	return p
}

func (p *pendingChanges) add(id int64, deleted bool, at int64) {
	p.ids, p.deleted, p.at = append(p.ids, id), append(p.deleted, deleted), append(p.at, at)
}

func (p *pendingChanges) len() int {
	if p == nil {
		return 0
	}
	return len(p.ids)
}

// truncate forgets the entries after the first n: those of a write
// rolled back to its savepoint.
func (p *pendingChanges) truncate(n int) {
	if p != nil {
		p.ids, p.deleted, p.at = p.ids[:n], p.deleted[:n], p.at[:n]
	}
}

// record writes the entries in tx in one statement: one bump of the
// counter hands them the next sequence numbers in the order the writes
// ran, and an article written twice keeps its last entry. The counter
// row stays locked until the commit, as for one change. The statement is
// SQL: GORM's API does not express an UPDATE feeding an INSERT.
func (p *pendingChanges) record(tx *gorm.DB) error {
	if p.len() == 0 {
		return nil
	}
	last := map[int64]int{}
	for i, id := range p.ids {
		last[id] = i
	}
	var ids, deleted, at []string
	for i, id := range p.ids {
		if last[id] == i {
			ids = append(ids, strconv.FormatInt(id, 10))
			deleted = append(deleted, strconv.FormatBool(p.deleted[i]))
			at = append(at, strconv.FormatInt(p.at[i], 10))
		}
	}
	n := len(ids)
	res := tx.Exec(`WITH s AS (UPDATE change_seq SET seq = seq + ? WHERE id = 1 RETURNING seq)
		INSERT INTO changes (seq, article_id, deleted, changed_at)
		SELECT s.seq - ? + e.n, e.id, e.deleted, e.at
		FROM s, unnest(?::bigint[], ?::boolean[], ?::bigint[]) WITH ORDINALITY AS e(id, deleted, at, n)
		ON CONFLICT (article_id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, changed_at = excluded.changed_at`,
		n, n, "{"+strings.Join(ids, ",")+"}", "{"+strings.Join(deleted, ",")+"}", "{"+strings.Join(at, ",")+"}")
	if res.Error != nil {
		return translate(res.Error, "record changes")
	}
	if res.RowsAffected != int64(n) {
		return fmt.Errorf("record changes: %d entries for %d changed articles", res.RowsAffected, n)
	}
	return nil
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
// sequence numbers beyond the counter. The DELETE and the INSERT stay SQL:
// each is one set-based statement over the query ids, which GORM's API
// does not express.
func (s *Store) recordChanges(tx *gorm.DB, n int64, ids string, args ...any) error {
	if n == 0 {
		return nil
	}
	if err := tx.Exec(`DELETE FROM changes WHERE article_id IN (SELECT id FROM (`+ids+`) x)`, args...).Error; err != nil {
		return translate(err, "record changes")
	}
	last, err := bumpSeq(tx, n)
	if err != nil {
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
	_, err := bumpSeq(tx, 1)
	return translate(err, "bump generation")
}

// bumpSeq advances the change counter by n and returns its new value. Its
// row stays locked until tx ends.
func bumpSeq(tx *gorm.DB, n int64) (int64, error) {
	var seq changeSeqModel
	err := tx.Model(&seq).Clauses(clause.Returning{Columns: []clause.Column{{Name: "seq"}}}).
		Where("id = 1").Update("seq", gorm.Expr("seq + ?", n)).Error
	return seq.Seq, err
}

// Changes returns changes after a sequence number, in commit order.
func (s *Store) Changes(ctx context.Context, after int64, limit int, withDrafts bool) ([]news.Change, error) {
	var out []news.Change
	// One read transaction, so the changes and the articles agree.
	err := s.read(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []changeModel
		if err := tx.Where("seq > ?", after).Order("seq").Limit(limit).Find(&rows).Error; err != nil {
			return translate(err, "read changes")
		}
		articles, err := changedArticles(tx, rows)
		if err != nil {
			return err
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

// changedArticles reads the articles of the changes that are not deletions, by id.
func changedArticles(tx *gorm.DB, changes []changeModel) (map[int64]news.Article, error) {
	ids := make([]int64, 0, len(changes))
	for _, c := range changes {
		if !c.Deleted {
			ids = append(ids, c.ArticleID)
		}
	}
	out := make(map[int64]news.Article, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []articleModel
	if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, translate(err, "read changed articles")
	}
	for i := range rows {
		out[rows[i].ID] = rows[i].toArticle()
	}
	return out, nil
}

// LastChange is the newest sequence number: also the data generation,
// since every change of articles or vocabulary advances it.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var row changeSeqModel
	err := s.read(ctx).Where("id = 1").Take(&row).Error
	return row.Seq, translate(err, "read change sequence")
}
