package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// webhookModel is a row of webhooks (migration 00019).
type webhookModel struct {
	ID            int64  `gorm:"column:id;primaryKey;not null;autoIncrement"`
	URL           string `gorm:"column:url;not null"`
	Events        string `gorm:"column:events;not null"` // comma-separated
	Filter        string `gorm:"column:filter;not null;default:''"`
	Description   string `gorm:"column:description;not null;default:''"`
	Secret        string `gorm:"column:secret;not null"`
	PrevSecret    string `gorm:"column:previous_secret;not null;default:''"`
	PrevUntil     int64  `gorm:"column:previous_until;not null;default:0"`
	Position      int64  `gorm:"column:position;not null"`
	Paused        bool   `gorm:"column:paused;not null;default:false"`
	PausedReason  string `gorm:"column:paused_reason;not null;default:''"`
	Failures      int    `gorm:"column:failures;not null;default:0"`
	DueSeq        int64  `gorm:"column:due_seq;not null;default:0"`
	DueEvent      string `gorm:"column:due_event;not null;default:''"`
	DueArticle    int64  `gorm:"column:due_article;not null;default:0"`
	FailingSince  *int64 `gorm:"column:failing_since"`
	NextAttemptAt int64  `gorm:"column:next_attempt_at;not null;default:0"`
	LastSuccessAt *int64 `gorm:"column:last_success_at"`
	LastFailureAt *int64 `gorm:"column:last_failure_at"`
	LastError     string `gorm:"column:last_error;not null;default:''"`
	LeaseOwner    string `gorm:"column:lease_owner;not null;default:''"`
	LeaseUntil    int64  `gorm:"column:lease_until;not null;default:0"`
	CreatedAt     int64  `gorm:"column:created_at;not null;autoCreateTime:false"`
	UpdatedAt     int64  `gorm:"column:updated_at;not null;autoUpdateTime:false"`
}

func (webhookModel) TableName() string { return "webhooks" }

// webhookArticleModel is an article that a webhook's receiver holds.
type webhookArticleModel struct {
	WebhookID int64 `gorm:"column:webhook_id;primaryKey;not null;autoIncrement:false"`
	ArticleID int64 `gorm:"column:article_id;primaryKey;not null;autoIncrement:false"`
}

func (webhookArticleModel) TableName() string { return "webhook_articles" }

// webhookDeliveryModel is one attempt at a delivery.
type webhookDeliveryModel struct {
	ID          int64  `gorm:"column:id;primaryKey;not null;autoIncrement"`
	WebhookID   int64  `gorm:"column:webhook_id;not null"`
	MessageID   string `gorm:"column:message_id;not null"`
	Event       string `gorm:"column:event;not null"`
	Seq         int64  `gorm:"column:seq;not null;default:0"`
	Attempt     int    `gorm:"column:attempt;not null;default:1"`
	AttemptedAt int64  `gorm:"column:attempted_at;not null"`
	Status      int    `gorm:"column:status;not null;default:0"`
	Error       string `gorm:"column:error;not null;default:''"`
	DurationUS  int64  `gorm:"column:duration_us;not null;default:0"`
}

func (webhookDeliveryModel) TableName() string { return "webhook_deliveries" }

// deliveriesKept is how many attempts are kept per webhook.
const deliveriesKept = 100

func optMicros(p *int64) time.Time {
	if p == nil {
		return time.Time{}
	}
	return fromMicros(*p)
}

func (m *webhookModel) toWebhook() news.Webhook {
	w := news.Webhook{ID: m.ID, URL: m.URL, Filter: m.Filter, Description: m.Description, Secret: m.Secret,
		Position: m.Position, DueSeq: m.DueSeq, DueEvent: m.DueEvent, DueArticle: m.DueArticle, Paused: m.Paused, PausedWhy: m.PausedReason, Failures: m.Failures,
		FailingSince: optMicros(m.FailingSince), LastSuccess: optMicros(m.LastSuccessAt),
		LastFailure: optMicros(m.LastFailureAt), LastError: m.LastError,
		CreatedAt: fromMicros(m.CreatedAt), UpdatedAt: fromMicros(m.UpdatedAt)}
	if m.Events != "" {
		w.Events = strings.Split(m.Events, ",")
	}
	if m.NextAttemptAt > 0 {
		w.NextAttempt = fromMicros(m.NextAttemptAt)
	}
	if m.PrevUntil > 0 {
		w.PreviousSecret, w.PreviousUntil = m.PrevSecret, fromMicros(m.PrevUntil)
	}
	return w
}

func noWebhook(id int64) error { return news.Errorf(news.ENotFound, "no webhook %d", id) }

// holdFrom starts a webhook at the newest change, holding what f selects
// now. The change counter's row is locked first, by an update that
// leaves it as it is, so that no write commits between the position read
// and the articles held: on PostgreSQL writers wait for the transaction,
// as they do on SQLite's one writer. The INSERT is SQL: one set-based
// statement over the list's query, which GORM's API does not express.
func (s *Store) holdFrom(tx *gorm.DB, id int64, f news.Filter) (int64, error) {
	pos, err := bumpSeq(tx, 0)
	if err != nil {
		return 0, translate(err, "start webhook")
	}
	if err := tx.Where("webhook_id = ?", id).Delete(&webhookArticleModel{}).Error; err != nil {
		return 0, translate(err, "start webhook")
	}
	f.WithDrafts, f.Query = false, nil
	q := buildList(s.dialect, f)
	err = tx.Exec("INSERT INTO webhook_articles (webhook_id, article_id) SELECT ?, "+q.id+" FROM "+q.from+q.whereSQL(),
		append([]any{id}, q.args...)...).Error
	return pos, translate(err, "start webhook")
}

// CreateWebhook stores w at the newest change, its receiver holding the
// articles that hold selects.
func (s *Store) CreateWebhook(ctx context.Context, w news.Webhook, hold news.Filter) (news.Webhook, error) {
	now := micros(s.now())
	m := webhookModel{URL: w.URL, Events: strings.Join(w.Events, ","), Filter: w.Filter, Description: w.Description,
		Secret: w.Secret, CreatedAt: now, UpdatedAt: now}
	err := s.inTx(ctx, "create webhook", func(tx *gorm.DB) error {
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		pos, err := s.holdFrom(tx, m.ID, hold)
		if err != nil {
			return err
		}
		m.Position = pos
		return tx.Model(&m).Update("position", pos).Error
	})
	return m.toWebhook(), err
}

// Webhooks lists every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]news.Webhook, error) {
	var rows []webhookModel
	if err := s.r.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err, "list webhooks")
	}
	out := make([]news.Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].toWebhook()
	}
	return out, nil
}

// Webhook reads one webhook.
func (s *Store) Webhook(ctx context.Context, id int64) (news.Webhook, error) {
	m, err := webhookRow(s.r.WithContext(ctx), id)
	if err != nil {
		return news.Webhook{}, translate(err, "read webhook")
	}
	return m.toWebhook(), nil
}

// webhookRow reads webhook id's row with db; not found when there is none.
func webhookRow(db *gorm.DB, id int64) (webhookModel, error) {
	var rows []webhookModel
	if err := db.Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return webhookModel{}, err
	}
	if len(rows) == 0 {
		return webhookModel{}, noWebhook(id)
	}
	return rows[0], nil
}

// UpdateWebhook applies p to the webhook; a new filter (hold) starts it
// again from the newest change.
func (s *Store) UpdateWebhook(ctx context.Context, id int64, p news.WebhookPatch, hold *news.Filter) (news.Webhook, error) {
	var m webhookModel
	err := s.inTx(ctx, "update webhook", func(tx *gorm.DB) error {
		var err error
		if m, err = webhookRow(tx, id); err != nil {
			return err
		}
		set := map[string]any{"updated_at": micros(s.now())}
		if p.URL != nil {
			set["url"] = *p.URL
		}
		if p.Events != nil {
			set["events"] = strings.Join(p.Events, ",")
		}
		if p.Description != nil {
			set["description"] = *p.Description
		}
		if p.Filter != nil {
			set["filter"] = *p.Filter
		}
		if hold != nil {
			pos, err := s.holdFrom(tx, id, *hold)
			if err != nil {
				return err
			}
			set["position"] = pos
		}
		if p.Paused != nil {
			set["paused"] = *p.Paused
			if !*p.Paused && m.Paused {
				// Resumed: the due event is tried at once.
				set["paused_reason"], set["failures"], set["failing_since"], set["next_attempt_at"] = "", 0, nil, 0
			} else if *p.Paused && !m.Paused {
				set["paused_reason"] = "paused through the API"
			}
		}
		if err := tx.Model(&m).Updates(set).Error; err != nil {
			return err
		}
		return tx.Where("id = ?", id).Take(&m).Error
	})
	return m.toWebhook(), err
}

// RotateWebhookSecret makes secret the webhook's, the old one signing
// beside it until until.
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, secret string, until time.Time) (news.Webhook, error) {
	var m webhookModel
	err := s.inTx(ctx, "rotate webhook secret", func(tx *gorm.DB) error {
		var err error
		if m, err = webhookRow(tx, id); err != nil {
			return err
		}
		return tx.Model(&m).Updates(map[string]any{"previous_secret": m.Secret, "previous_until": micros(until),
			"secret": secret, "updated_at": micros(s.now())}).Error
	})
	return m.toWebhook(), err
}

// DeleteWebhook removes a webhook with what it holds and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	return s.inTx(ctx, "delete webhook", func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&webhookModel{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return noWebhook(id)
		}
		if err := tx.Where("webhook_id = ?", id).Delete(&webhookArticleModel{}).Error; err != nil {
			return err
		}
		return tx.Where("webhook_id = ?", id).Delete(&webhookDeliveryModel{}).Error
	})
}

// Deliveries lists the webhook's latest attempts, newest first.
func (s *Store) Deliveries(ctx context.Context, id int64, limit int) ([]news.Delivery, error) {
	if _, err := s.Webhook(ctx, id); err != nil {
		return nil, err
	}
	var rows []webhookDeliveryModel
	if err := s.r.WithContext(ctx).Where("webhook_id = ?", id).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err, "list deliveries")
	}
	out := make([]news.Delivery, len(rows))
	for i, r := range rows {
		out[i] = news.Delivery{ID: r.ID, MessageID: r.MessageID, Event: r.Event, Seq: r.Seq, Attempt: r.Attempt,
			At: fromMicros(r.AttemptedAt), Status: r.Status, Error: r.Error, Duration: time.Duration(r.DurationUS) * time.Microsecond}
	}
	return out, nil
}

// RecordDelivery notes an attempt, and forgets the webhook's attempts
// beyond the latest deliveriesKept.
func (s *Store) RecordDelivery(ctx context.Context, webhookID int64, d news.Delivery) (int64, error) {
	m := webhookDeliveryModel{WebhookID: webhookID, MessageID: d.MessageID, Event: d.Event, Seq: d.Seq, Attempt: d.Attempt,
		AttemptedAt: micros(d.At), Status: d.Status, Error: d.Error, DurationUS: d.Duration.Microseconds()}
	err := s.inTx(ctx, "record delivery", func(tx *gorm.DB) error {
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		if m.ID%16 != 0 { // now and then is enough
			return nil
		}
		return tx.Where("webhook_id = ? AND id <= ?", webhookID, m.ID-deliveriesKept).Delete(&webhookDeliveryModel{}).Error
	})
	return m.ID, err
}

// ClaimWebhooks takes or renews owner's leases and returns the webhooks
// owner holds.
func (s *Store) ClaimWebhooks(ctx context.Context, owner string, until time.Time) ([]news.Webhook, error) {
	// Most servers have no webhook running: a read says so, where the
	// claim would take the write lock (on SQLite, the one writer's).
	var running []webhookModel
	if err := s.r.WithContext(ctx).Select("id").Where("paused = ?", false).Limit(1).Find(&running).Error; err != nil || len(running) == 0 {
		return nil, translate(err, "claim webhooks")
	}
	now := micros(s.now())
	var rows []webhookModel
	err := s.inTx(ctx, "claim webhooks", func(tx *gorm.DB) error {
		err := tx.Model(&webhookModel{}).Where("paused = ? AND (lease_owner = ? OR lease_until < ?)", false, owner, now).
			Updates(map[string]any{"lease_owner": owner, "lease_until": micros(until)}).Error
		if err != nil {
			return err
		}
		return tx.Where("paused = ? AND lease_owner = ?", false, owner).Order("id").Find(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]news.Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].toWebhook()
	}
	return out, nil
}

// Held says which of ids the webhook's receiver holds.
func (s *Store) Held(ctx context.Context, webhookID int64, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []webhookArticleModel
	if err := s.r.WithContext(ctx).Where("webhook_id = ? AND article_id IN ?", webhookID, ids).Find(&rows).Error; err != nil {
		return nil, translate(err, "read held articles")
	}
	for _, r := range rows {
		out[r.ArticleID] = true
	}
	return out, nil
}

// leased updates the webhook with set while owner holds its lease.
func leased(tx *gorm.DB, id int64, owner string, set map[string]any) error {
	res := tx.Model(&webhookModel{}).Where("id = ? AND lease_owner = ?", id, owner).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return news.ErrLeaseLost
	}
	return nil
}

// Due notes the event of change seq before its first attempt, and that
// the receiver may hold article id from now (0: none).
func (s *Store) Due(ctx context.Context, webhookID int64, owner string, seq int64, event string, id int64) error {
	return s.inTx(ctx, "note due event", func(tx *gorm.DB) error {
		if err := leased(tx, webhookID, owner, map[string]any{"due_seq": seq, "due_event": event, "due_article": id}); err != nil {
			return err
		}
		if id == 0 {
			return nil
		}
		return hold(tx, webhookID, id)
	})
}

// hold notes that the webhook's receiver holds article id, which it may
// already: a retry after a crash holds it again.
func hold(tx *gorm.DB, webhookID, id int64) error {
	return tx.Where(webhookArticleModel{WebhookID: webhookID, ArticleID: id}).FirstOrCreate(&webhookArticleModel{}).Error
}

// Advance moves the webhook to step.To with what its receiver now holds.
func (s *Store) Advance(ctx context.Context, webhookID int64, owner string, step news.WebhookStep, success time.Time) error {
	return s.inTx(ctx, "advance webhook", func(tx *gorm.DB) error {
		set := map[string]any{"position": gorm.Expr("CASE WHEN position < ? THEN ? ELSE position END", step.To, step.To)}
		if !success.IsZero() {
			set["last_success_at"], set["failures"], set["failing_since"], set["next_attempt_at"] = micros(success), 0, nil, 0
			set["due_seq"], set["due_event"], set["due_article"] = 0, "", 0
		}
		if err := leased(tx, webhookID, owner, set); err != nil {
			return err
		}
		if len(step.Release) > 0 {
			if err := tx.Where("webhook_id = ? AND article_id IN ?", webhookID, step.Release).Delete(&webhookArticleModel{}).Error; err != nil {
				return err
			}
		}
		for _, id := range step.Hold {
			if err := hold(tx, webhookID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Fail records a failed attempt.
func (s *Store) Fail(ctx context.Context, webhookID int64, owner string, at time.Time, why string, next time.Time, reason string) error {
	return s.inTx(ctx, "record webhook failure", func(tx *gorm.DB) error {
		set := map[string]any{"failures": gorm.Expr("failures + 1"), "last_failure_at": micros(at), "last_error": why,
			"failing_since": gorm.Expr("coalesce(failing_since, ?)", micros(at)), "next_attempt_at": micros(next)}
		if reason != "" {
			set["paused"], set["paused_reason"], set["lease_owner"], set["lease_until"] = true, reason, "", 0
		}
		return leased(tx, webhookID, owner, set)
	})
}

// ReleaseWebhooks gives up owner's leases: the instance is stopping.
func (s *Store) ReleaseWebhooks(ctx context.Context, owner string) error {
	return s.inTx(ctx, "release webhooks", func(tx *gorm.DB) error {
		return tx.Model(&webhookModel{}).Where("lease_owner = ?", owner).
			Updates(map[string]any{"lease_owner": "", "lease_until": 0}).Error
	})
}
