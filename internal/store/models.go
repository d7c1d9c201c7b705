package store

// The GORM models: one per table of the migrated schema, its columns as
// the migrations in migrations/sqlite and migrations/postgres leave them.
// The migrations are the schema (never AutoMigrate); these tags describe
// it, and TestModelsMatchSchema fails when the two part ways.
//
// Times are INTEGER (PostgreSQL BIGINT) microseconds since the Unix epoch,
// UTC, written with micros and read with fromMicros, so they are int64
// here. autoCreateTime:false and autoUpdateTime:false keep GORM from
// filling CreatedAt and UpdatedAt with seconds of its own. Nullable
// columns are pointers (nil is NULL); every other column is NOT NULL.

// countryModel is a row of countries: the ISO 3166-1 alpha-2 list, fixed
// by the migrations but for its keywords.
type countryModel struct {
	Code     string `gorm:"column:code;primaryKey;not null"`
	Name     string `gorm:"column:name;not null"`
	Aliases  string `gorm:"column:aliases;not null;default:'[]'"`  // JSON array of strings
	Keywords string `gorm:"column:keywords;not null;default:'[]'"` // JSON array of strings
}

func (countryModel) TableName() string { return "countries" }

// themeModel is a row of themes.
type themeModel struct {
	Slug        string `gorm:"column:slug;primaryKey;not null"`
	Name        string `gorm:"column:name;not null"`
	Description string `gorm:"column:description;not null;default:''"`
	Aliases     string `gorm:"column:aliases;not null;default:'[]'"`  // JSON array of strings
	Keywords    string `gorm:"column:keywords;not null;default:'[]'"` // JSON array of strings
}

func (themeModel) TableName() string { return "themes" }

// articleModel is a row of articles. Countries and Themes are the
// article's tags as sorted, comma-separated text (see tagText); AutoTags
// holds the autoCountries and autoThemes bits. PostgreSQL's articles also
// has search, a generated tsvector that is never written nor read whole.
type articleModel struct {
	ID          int64   `gorm:"column:id;primaryKey;not null;autoIncrement"`
	Title       string  `gorm:"column:title;not null"`
	Summary     string  `gorm:"column:summary;not null;default:''"`
	Body        string  `gorm:"column:body;not null;default:''"`
	URL         *string `gorm:"column:url;unique"`
	ImageURL    *string `gorm:"column:image_url"`
	Source      string  `gorm:"column:source;not null;default:''"`
	Section     string  `gorm:"column:section;not null;default:''"`
	Author      *string `gorm:"column:author"`
	Language    string  `gorm:"column:language;not null;default:'en'"`
	Status      string  `gorm:"column:status;not null;default:'published'"`
	PublishedAt int64   `gorm:"column:published_at;not null"`
	CreatedAt   int64   `gorm:"column:created_at;not null;autoCreateTime:false"`
	UpdatedAt   int64   `gorm:"column:updated_at;not null;autoUpdateTime:false"`
	Version     int     `gorm:"column:version;not null;default:1"`
	Countries   string  `gorm:"column:countries;not null;default:''"`
	Themes      string  `gorm:"column:themes;not null;default:''"`
	AutoTags    int     `gorm:"column:auto_tags;not null;default:0"`
	// ListJSON is the article as a list shows it, or NULL (see
	// listjson.go): written by a create, a load and FillListJSON, never
	// by an update through the model (<-:create), and cleared by any
	// other update of the row (migration 00023).
	ListJSON *string `gorm:"column:list_json;<-:create"`
}

func (articleModel) TableName() string { return "articles" }

// articleCountryModel is one country of an article, keyed for "articles
// of country C, newest first" as a range of the primary key.
// PublishedAt is the article's, rewritten with its tags.
type articleCountryModel struct {
	Country     string `gorm:"column:country;primaryKey;not null"`
	PublishedAt int64  `gorm:"column:published_at;primaryKey;not null;autoIncrement:false"`
	ArticleID   int64  `gorm:"column:article_id;primaryKey;not null;autoIncrement:false"`
}

func (articleCountryModel) TableName() string { return "article_countries" }

// articleThemeModel is one theme of an article, as articleCountryModel.
type articleThemeModel struct {
	Theme       string `gorm:"column:theme;primaryKey;not null"`
	PublishedAt int64  `gorm:"column:published_at;primaryKey;not null;autoIncrement:false"`
	ArticleID   int64  `gorm:"column:article_id;primaryKey;not null;autoIncrement:false"`
}

func (articleThemeModel) TableName() string { return "article_themes" }

// articlePairModel is one (country, theme) pair of a published article,
// with the article's whole tag lists for facets.
type articlePairModel struct {
	Country     string `gorm:"column:country;primaryKey;not null"`
	Theme       string `gorm:"column:theme;primaryKey;not null"`
	PublishedAt int64  `gorm:"column:published_at;primaryKey;not null;autoIncrement:false"`
	ArticleID   int64  `gorm:"column:article_id;primaryKey;not null;autoIncrement:false"`
	Countries   string `gorm:"column:countries;not null"`
	Themes      string `gorm:"column:themes;not null"`
}

func (articlePairModel) TableName() string { return "article_pairs" }

// articleTagsetModel counts the published articles of one pair that carry
// one tag set, kept by triggers on article_pairs: on SQLite as each pair
// is written (migration 00009), on PostgreSQL at each commit (00013),
// where a row with empty tag sets counts all the pair's articles.
type articleTagsetModel struct {
	Country   string `gorm:"column:country;primaryKey;not null"`
	Theme     string `gorm:"column:theme;primaryKey;not null"`
	Countries string `gorm:"column:countries;primaryKey;not null"`
	Themes    string `gorm:"column:themes;primaryKey;not null"`
	N         int64  `gorm:"column:n;not null"`
}

func (articleTagsetModel) TableName() string { return "article_tagsets" }

// tagCountModel is how many published articles carry one tag: Kind is
// "country" (Tag a code) or "theme" (Tag a slug). Kept by triggers on
// articles (migration 00012); on PostgreSQL through tagCountChangeModel.
type tagCountModel struct {
	Kind string `gorm:"column:kind;primaryKey;not null"`
	Tag  string `gorm:"column:tag;primaryKey;not null"`
	N    int64  `gorm:"column:n;not null"`
}

func (tagCountModel) TableName() string { return "tag_counts" }

// tagCountChangeModel is what one write of an article did to tag_counts,
// noted by a trigger and folded in when its transaction (Xid) commits:
// the comma-separated tags it took away and added. First marks the note
// that queued the fold. PostgreSQL only; no key (migration 00012).
type tagCountChangeModel struct {
	Xid              int64  `gorm:"column:xid;not null;default:txid_current()"`
	First            bool   `gorm:"column:first;not null;default:false"`
	RemovedCountries string `gorm:"column:removed_countries;not null;default:''"`
	RemovedThemes    string `gorm:"column:removed_themes;not null;default:''"`
	AddedCountries   string `gorm:"column:added_countries;not null;default:''"`
	AddedThemes      string `gorm:"column:added_themes;not null;default:''"`
}

func (tagCountChangeModel) TableName() string { return "tag_count_changes" }

// articleTagsetChangeModel is what one transaction under way changed of
// a tag set's count, added to article_tagsets when it commits; Country ""
// marks the transaction's row that makes that happen. PostgreSQL only
// (migration 00013); empty between transactions.
type articleTagsetChangeModel struct {
	TxID      int64  `gorm:"column:txid;primaryKey;not null;autoIncrement:false"`
	Country   string `gorm:"column:country;primaryKey;not null"`
	Theme     string `gorm:"column:theme;primaryKey;not null"`
	Countries string `gorm:"column:countries;primaryKey;not null"`
	Themes    string `gorm:"column:themes;primaryKey;not null"`
	N         int64  `gorm:"column:n;not null"`
}

func (articleTagsetChangeModel) TableName() string { return "article_tagset_changes" }

// tombstoneModel is a deleted article, for the change feed. Version is
// the one its deletion made (the last one plus one).
type tombstoneModel struct {
	ID        int64 `gorm:"column:id;primaryKey;not null;autoIncrement:false"`
	Version   int   `gorm:"column:version;not null"`
	DeletedAt int64 `gorm:"column:deleted_at;not null"`
}

func (tombstoneModel) TableName() string { return "article_tombstones" }

// apiKeyModel is an API key: only the hex SHA-256 digest of its secret is
// kept, with a short prefix to tell keys apart.
type apiKeyModel struct {
	ID         int64  `gorm:"column:id;primaryKey;not null;autoIncrement"`
	Digest     string `gorm:"column:digest;not null;unique"`
	Prefix     string `gorm:"column:prefix;not null"`
	Name       string `gorm:"column:name;not null"`
	Role       string `gorm:"column:role;not null"`
	CreatedAt  int64  `gorm:"column:created_at;not null;autoCreateTime:false"`
	LastUsedAt *int64 `gorm:"column:last_used_at"`
	RevokedAt  *int64 `gorm:"column:revoked_at"`
}

func (apiKeyModel) TableName() string { return "api_keys" }

// idempotencyKeyModel is a caller's Idempotency-Key and the first answer
// to it. Status is nil while the first request is in progress; a claim
// whose LeaseUntil has passed unanswered may be taken over.
type idempotencyKeyModel struct {
	Principal   string `gorm:"column:principal;primaryKey;not null"` // digest of the caller's API key
	Key         string `gorm:"column:key;primaryKey;not null"`
	RequestHash string `gorm:"column:request_hash;not null"` // SHA-256 of method, path and body
	Status      *int   `gorm:"column:status"`
	Headers     string `gorm:"column:headers;not null;default:'{}'"` // JSON object
	Body        []byte `gorm:"column:body"`
	CreatedAt   int64  `gorm:"column:created_at;not null;autoCreateTime:false"`
	LeaseUntil  int64  `gorm:"column:lease_until;not null;default:0"`
}

func (idempotencyKeyModel) TableName() string { return "idempotency_keys" }

// idempotencyEffectModel records one write of a keyed request (Item 0 of
// a single create, the index in a batch), committed with the article it
// made (Created) or replaced.
type idempotencyEffectModel struct {
	Principal string `gorm:"column:principal;primaryKey;not null"`
	Key       string `gorm:"column:key;primaryKey;not null"`
	Item      int    `gorm:"column:item;primaryKey;not null;autoIncrement:false"`
	ArticleID int64  `gorm:"column:article_id;not null"`
	Created   bool   `gorm:"column:created;not null"` // SQLite holds 1 or 0
	CreatedAt int64  `gorm:"column:created_at;not null;autoCreateTime:false"`
}

func (idempotencyEffectModel) TableName() string { return "idempotency_effects" }

// changeModel is an article's latest change, numbered in commit order.
type changeModel struct {
	Seq       int64 `gorm:"column:seq;primaryKey;not null;autoIncrement:false"`
	ArticleID int64 `gorm:"column:article_id;not null;unique"`
	Deleted   bool  `gorm:"column:deleted;not null;default:false"`
	ChangedAt int64 `gorm:"column:changed_at;not null"`
}

func (changeModel) TableName() string { return "changes" }

// changeSeqModel is the one row (ID 1) of change_seq: the last sequence
// number handed out, which is also the data generation.
type changeSeqModel struct {
	ID  int   `gorm:"column:id;primaryKey;not null;autoIncrement:false"`
	Seq int64 `gorm:"column:seq;not null"`
}

func (changeSeqModel) TableName() string { return "change_seq" }

// tagCorrectionModel is an editor's correction of an automatic tag list:
// the tagger's list (Auto) and the editor's (Editor), as sorted,
// comma-separated text, with the text the tagger saw. Kind is "country"
// or "theme".
type tagCorrectionModel struct {
	ID        int64  `gorm:"column:id;primaryKey;not null;autoIncrement"`
	ArticleID int64  `gorm:"column:article_id;not null"`
	Kind      string `gorm:"column:kind;not null"`
	Auto      string `gorm:"column:auto;not null"`
	Editor    string `gorm:"column:editor;not null"`
	Title     string `gorm:"column:title;not null"`
	Summary   string `gorm:"column:summary;not null"`
	CreatedAt int64  `gorm:"column:created_at;not null;autoCreateTime:false"`
}

func (tagCorrectionModel) TableName() string { return "tag_corrections" }
