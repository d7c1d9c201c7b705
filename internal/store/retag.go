package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// RetagResult counts what Retag did.
type RetagResult struct {
	Checked int // articles with automatic tags
	Changed int // of those, articles whose tags changed
	Skipped int // changed by someone else while being retagged; their writer tagged them
}

// retagBatch is how many articles Retag reads, and rewrites in one
// transaction, at a time.
const retagBatch = 500

// Retag runs the automatic tagger again over every article whose
// countries or themes it chose, and rewrites the lists that come out
// different; hand-set lists are never touched. A changed article gets a
// new version and a change-feed entry, like any edit. progress, when not
// nil, is called after each batch.
func (s *Store) Retag(ctx context.Context, progress func(RetagResult)) (RetagResult, error) {
	var res RetagResult
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var rows []articleModel
		err := s.r.WithContext(ctx).Where("auto_tags <> 0 AND id > ?", after).Order("id").Limit(retagBatch).Find(&rows).Error
		if err != nil {
			return res, translate(err, "retag")
		}
		if len(rows) == 0 {
			return res, nil
		}
		after = rows[len(rows)-1].ID
		type change struct {
			id      int64
			version int
			d       news.Draft
		}
		var changes []change
		for i := range rows {
			a := rows[i].toArticle()
			d := news.Update{}.Apply(a) // keeps the automatic flags: Normalize tags again
			// Only the tags are the tagger's to change. The rest is written
			// back as stored, even where it predates today's rules (a CRLF,
			// a control character, a URL in another spelling): a retag
			// neither rewrites an article's text nor stops at it.
			tagged := d
			if err := tagged.Normalize(s.Vocabulary()); err != nil && news.ErrorCode(err) != news.EValidation {
				return res, err
			}
			d.Countries, d.Themes = tagged.Countries, tagged.Themes
			res.Checked++
			if !d.Matches(a) {
				changes = append(changes, change{a.ID, a.Version, d})
			}
		}
		if len(changes) > 0 {
			err = s.inTx(ctx, "retag", func(tx *gorm.DB) error {
				if err := lockArticleWrites(tx, s.dialect.postgres); err != nil {
					return err
				}
				for _, c := range changes {
					_, err := s.update(tx, c.id, c.d, c.version)
					switch news.ErrorCode(err) {
					case "":
						res.Changed++
					case news.EPreconditionFailed, news.ENotFound:
						res.Skipped++ // edited or deleted meanwhile
					default:
						return err
					}
				}
				return nil
			})
			if err != nil {
				return res, err
			}
		}
		if progress != nil {
			progress(res)
		}
	}
}

// AutoTagged counts the articles whose countries or themes the tagger
// chose: how many a Retag will check, for its progress report.
func (s *Store) AutoTagged(ctx context.Context) (int, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&articleModel{}).Where("auto_tags <> 0").Count(&n).Error
	return int(n), translate(err, "count automatically tagged articles")
}
