-- The initial schema: articles, the country and theme vocabularies, the
-- join tables that make filtered newest-first lists index range scans, the
-- full-text index, and tombstones of deleted articles for sync.
-- Times are INTEGER microseconds since the Unix epoch, UTC.

-- +goose Up
CREATE TABLE countries (
    code    TEXT PRIMARY KEY CHECK (length(code) = 2),
    name    TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]' -- JSON array of strings
);

CREATE TABLE themes (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    aliases     TEXT NOT NULL DEFAULT '[]' -- JSON array of strings
);

-- AUTOINCREMENT: ids of deleted articles are never handed out again, so a
-- tombstone always names one article.
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL DEFAULT '',
    url          TEXT    UNIQUE, -- NULL when the article has none
    image_url    TEXT,
    source       TEXT    NOT NULL DEFAULT '',
    section      TEXT    NOT NULL DEFAULT '',
    author       TEXT,
    language     TEXT    NOT NULL DEFAULT 'en',
    status       TEXT    NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'draft')),
    published_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_published ON articles (published_at, id);

-- One row per tag, keyed so that "articles tagged X, newest first, after
-- cursor C" is a range scan of the primary key. published_at is copied from
-- the article and rewritten with the tags on every change.
CREATE TABLE article_countries (
    country      TEXT    NOT NULL REFERENCES countries (code),
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (country, published_at, article_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX article_countries_article ON article_countries (article_id, country);

CREATE TABLE article_themes (
    theme        TEXT    NOT NULL REFERENCES themes (slug) ON UPDATE CASCADE,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (theme, published_at, article_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX article_themes_article ON article_themes (article_id, theme);

-- Deleted articles, kept for the change feed.
CREATE TABLE article_tombstones (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL
);

-- Full-text index over title, summary and body, stored as an external-content
-- table over articles and kept in step by the triggers below.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- +goose StatementBegin
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
-- +goose StatementEnd

-- Every ISO 3166-1 alpha-2 country, with common aliases.
INSERT INTO countries (code, name, aliases) VALUES
    ('AD', 'Andorra', '[]'),
    ('AE', 'United Arab Emirates', '["UAE", "Emirates"]'),
    ('AF', 'Afghanistan', '[]'),
    ('AG', 'Antigua and Barbuda', '[]'),
    ('AI', 'Anguilla', '[]'),
    ('AL', 'Albania', '[]'),
    ('AM', 'Armenia', '[]'),
    ('AO', 'Angola', '[]'),
    ('AQ', 'Antarctica', '[]'),
    ('AR', 'Argentina', '[]'),
    ('AS', 'American Samoa', '[]'),
    ('AT', 'Austria', '[]'),
    ('AU', 'Australia', '[]'),
    ('AW', 'Aruba', '[]'),
    ('AX', 'Åland Islands', '["Aland Islands"]'),
    ('AZ', 'Azerbaijan', '[]'),
    ('BA', 'Bosnia and Herzegovina', '["Bosnia"]'),
    ('BB', 'Barbados', '[]'),
    ('BD', 'Bangladesh', '[]'),
    ('BE', 'Belgium', '[]'),
    ('BF', 'Burkina Faso', '[]'),
    ('BG', 'Bulgaria', '[]'),
    ('BH', 'Bahrain', '[]'),
    ('BI', 'Burundi', '[]'),
    ('BJ', 'Benin', '[]'),
    ('BL', 'Saint Barthélemy', '["Saint Barthelemy"]'),
    ('BM', 'Bermuda', '[]'),
    ('BN', 'Brunei Darussalam', '["Brunei"]'),
    ('BO', 'Bolivia', '["Plurinational State of Bolivia"]'),
    ('BQ', 'Bonaire, Sint Eustatius and Saba', '["Caribbean Netherlands"]'),
    ('BR', 'Brazil', '[]'),
    ('BS', 'Bahamas', '["The Bahamas"]'),
    ('BT', 'Bhutan', '[]'),
    ('BV', 'Bouvet Island', '[]'),
    ('BW', 'Botswana', '[]'),
    ('BY', 'Belarus', '[]'),
    ('BZ', 'Belize', '[]'),
    ('CA', 'Canada', '[]'),
    ('CC', 'Cocos (Keeling) Islands', '["Cocos Islands"]'),
    ('CD', 'Democratic Republic of the Congo', '["DR Congo", "DRC", "Congo-Kinshasa"]'),
    ('CF', 'Central African Republic', '["CAR"]'),
    ('CG', 'Republic of the Congo', '["Congo", "Congo-Brazzaville"]'),
    ('CH', 'Switzerland', '[]'),
    ('CI', 'Côte d''Ivoire', '["Cote d''Ivoire", "Ivory Coast"]'),
    ('CK', 'Cook Islands', '[]'),
    ('CL', 'Chile', '[]'),
    ('CM', 'Cameroon', '[]'),
    ('CN', 'China', '["PRC", "People''s Republic of China", "Mainland China"]'),
    ('CO', 'Colombia', '[]'),
    ('CR', 'Costa Rica', '[]'),
    ('CU', 'Cuba', '[]'),
    ('CV', 'Cabo Verde', '["Cape Verde"]'),
    ('CW', 'Curaçao', '["Curacao"]'),
    ('CX', 'Christmas Island', '[]'),
    ('CY', 'Cyprus', '[]'),
    ('CZ', 'Czechia', '["Czech Republic"]'),
    ('DE', 'Germany', '["Federal Republic of Germany"]'),
    ('DJ', 'Djibouti', '[]'),
    ('DK', 'Denmark', '[]'),
    ('DM', 'Dominica', '[]'),
    ('DO', 'Dominican Republic', '[]'),
    ('DZ', 'Algeria', '[]'),
    ('EC', 'Ecuador', '[]'),
    ('EE', 'Estonia', '[]'),
    ('EG', 'Egypt', '[]'),
    ('EH', 'Western Sahara', '[]'),
    ('ER', 'Eritrea', '[]'),
    ('ES', 'Spain', '[]'),
    ('ET', 'Ethiopia', '[]'),
    ('FI', 'Finland', '[]'),
    ('FJ', 'Fiji', '[]'),
    ('FK', 'Falkland Islands', '["Falklands", "Malvinas"]'),
    ('FM', 'Micronesia', '["Federated States of Micronesia"]'),
    ('FO', 'Faroe Islands', '["Faroes"]'),
    ('FR', 'France', '[]'),
    ('GA', 'Gabon', '[]'),
    ('GB', 'United Kingdom', '["UK", "Britain", "Great Britain", "U.K."]'),
    ('GD', 'Grenada', '[]'),
    ('GE', 'Georgia', '[]'),
    ('GF', 'French Guiana', '[]'),
    ('GG', 'Guernsey', '[]'),
    ('GH', 'Ghana', '[]'),
    ('GI', 'Gibraltar', '[]'),
    ('GL', 'Greenland', '[]'),
    ('GM', 'Gambia', '["The Gambia"]'),
    ('GN', 'Guinea', '[]'),
    ('GP', 'Guadeloupe', '[]'),
    ('GQ', 'Equatorial Guinea', '[]'),
    ('GR', 'Greece', '[]'),
    ('GS', 'South Georgia and the South Sandwich Islands', '[]'),
    ('GT', 'Guatemala', '[]'),
    ('GU', 'Guam', '[]'),
    ('GW', 'Guinea-Bissau', '[]'),
    ('GY', 'Guyana', '[]'),
    ('HK', 'Hong Kong', '[]'),
    ('HM', 'Heard Island and McDonald Islands', '[]'),
    ('HN', 'Honduras', '[]'),
    ('HR', 'Croatia', '[]'),
    ('HT', 'Haiti', '[]'),
    ('HU', 'Hungary', '[]'),
    ('ID', 'Indonesia', '[]'),
    ('IE', 'Ireland', '[]'),
    ('IL', 'Israel', '[]'),
    ('IM', 'Isle of Man', '[]'),
    ('IN', 'India', '[]'),
    ('IO', 'British Indian Ocean Territory', '[]'),
    ('IQ', 'Iraq', '[]'),
    ('IR', 'Iran', '["Islamic Republic of Iran"]'),
    ('IS', 'Iceland', '[]'),
    ('IT', 'Italy', '[]'),
    ('JE', 'Jersey', '[]'),
    ('JM', 'Jamaica', '[]'),
    ('JO', 'Jordan', '[]'),
    ('JP', 'Japan', '[]'),
    ('KE', 'Kenya', '[]'),
    ('KG', 'Kyrgyzstan', '[]'),
    ('KH', 'Cambodia', '[]'),
    ('KI', 'Kiribati', '[]'),
    ('KM', 'Comoros', '[]'),
    ('KN', 'Saint Kitts and Nevis', '[]'),
    ('KP', 'North Korea', '["DPRK", "Democratic People''s Republic of Korea", "N. Korea"]'),
    ('KR', 'South Korea', '["ROK", "Republic of Korea", "S. Korea"]'),
    ('KW', 'Kuwait', '[]'),
    ('KY', 'Cayman Islands', '[]'),
    ('KZ', 'Kazakhstan', '[]'),
    ('LA', 'Laos', '["Lao People''s Democratic Republic"]'),
    ('LB', 'Lebanon', '[]'),
    ('LC', 'Saint Lucia', '[]'),
    ('LI', 'Liechtenstein', '[]'),
    ('LK', 'Sri Lanka', '[]'),
    ('LR', 'Liberia', '[]'),
    ('LS', 'Lesotho', '[]'),
    ('LT', 'Lithuania', '[]'),
    ('LU', 'Luxembourg', '[]'),
    ('LV', 'Latvia', '[]'),
    ('LY', 'Libya', '[]'),
    ('MA', 'Morocco', '[]'),
    ('MC', 'Monaco', '[]'),
    ('MD', 'Moldova', '["Republic of Moldova"]'),
    ('ME', 'Montenegro', '[]'),
    ('MF', 'Saint Martin', '["Saint Martin (French part)"]'),
    ('MG', 'Madagascar', '[]'),
    ('MH', 'Marshall Islands', '[]'),
    ('MK', 'North Macedonia', '["Macedonia"]'),
    ('ML', 'Mali', '[]'),
    ('MM', 'Myanmar', '["Burma"]'),
    ('MN', 'Mongolia', '[]'),
    ('MO', 'Macao', '["Macau"]'),
    ('MP', 'Northern Mariana Islands', '[]'),
    ('MQ', 'Martinique', '[]'),
    ('MR', 'Mauritania', '[]'),
    ('MS', 'Montserrat', '[]'),
    ('MT', 'Malta', '[]'),
    ('MU', 'Mauritius', '[]'),
    ('MV', 'Maldives', '[]'),
    ('MW', 'Malawi', '[]'),
    ('MX', 'Mexico', '[]'),
    ('MY', 'Malaysia', '[]'),
    ('MZ', 'Mozambique', '[]'),
    ('NA', 'Namibia', '[]'),
    ('NC', 'New Caledonia', '[]'),
    ('NE', 'Niger', '[]'),
    ('NF', 'Norfolk Island', '[]'),
    ('NG', 'Nigeria', '[]'),
    ('NI', 'Nicaragua', '[]'),
    ('NL', 'Netherlands', '["Holland", "The Netherlands"]'),
    ('NO', 'Norway', '[]'),
    ('NP', 'Nepal', '[]'),
    ('NR', 'Nauru', '[]'),
    ('NU', 'Niue', '[]'),
    ('NZ', 'New Zealand', '["Aotearoa"]'),
    ('OM', 'Oman', '[]'),
    ('PA', 'Panama', '[]'),
    ('PE', 'Peru', '[]'),
    ('PF', 'French Polynesia', '[]'),
    ('PG', 'Papua New Guinea', '[]'),
    ('PH', 'Philippines', '[]'),
    ('PK', 'Pakistan', '[]'),
    ('PL', 'Poland', '[]'),
    ('PM', 'Saint Pierre and Miquelon', '[]'),
    ('PN', 'Pitcairn', '["Pitcairn Islands"]'),
    ('PR', 'Puerto Rico', '[]'),
    ('PS', 'Palestine', '["State of Palestine", "Palestinian Territories"]'),
    ('PT', 'Portugal', '[]'),
    ('PW', 'Palau', '[]'),
    ('PY', 'Paraguay', '[]'),
    ('QA', 'Qatar', '[]'),
    ('RE', 'Réunion', '["Reunion"]'),
    ('RO', 'Romania', '[]'),
    ('RS', 'Serbia', '[]'),
    ('RU', 'Russia', '["Russian Federation"]'),
    ('RW', 'Rwanda', '[]'),
    ('SA', 'Saudi Arabia', '[]'),
    ('SB', 'Solomon Islands', '[]'),
    ('SC', 'Seychelles', '[]'),
    ('SD', 'Sudan', '[]'),
    ('SE', 'Sweden', '[]'),
    ('SG', 'Singapore', '[]'),
    ('SH', 'Saint Helena, Ascension and Tristan da Cunha', '["Saint Helena"]'),
    ('SI', 'Slovenia', '[]'),
    ('SJ', 'Svalbard and Jan Mayen', '[]'),
    ('SK', 'Slovakia', '[]'),
    ('SL', 'Sierra Leone', '[]'),
    ('SM', 'San Marino', '[]'),
    ('SN', 'Senegal', '[]'),
    ('SO', 'Somalia', '[]'),
    ('SR', 'Suriname', '[]'),
    ('SS', 'South Sudan', '[]'),
    ('ST', 'São Tomé and Príncipe', '["Sao Tome and Principe"]'),
    ('SV', 'El Salvador', '[]'),
    ('SX', 'Sint Maarten', '["Sint Maarten (Dutch part)"]'),
    ('SY', 'Syria', '["Syrian Arab Republic"]'),
    ('SZ', 'Eswatini', '["Swaziland"]'),
    ('TC', 'Turks and Caicos Islands', '[]'),
    ('TD', 'Chad', '[]'),
    ('TF', 'French Southern Territories', '[]'),
    ('TG', 'Togo', '[]'),
    ('TH', 'Thailand', '[]'),
    ('TJ', 'Tajikistan', '[]'),
    ('TK', 'Tokelau', '[]'),
    ('TL', 'Timor-Leste', '["East Timor"]'),
    ('TM', 'Turkmenistan', '[]'),
    ('TN', 'Tunisia', '[]'),
    ('TO', 'Tonga', '[]'),
    ('TR', 'Türkiye', '["Turkey", "Turkiye"]'),
    ('TT', 'Trinidad and Tobago', '[]'),
    ('TV', 'Tuvalu', '[]'),
    ('TW', 'Taiwan', '["Republic of China", "Chinese Taipei"]'),
    ('TZ', 'Tanzania', '["United Republic of Tanzania"]'),
    ('UA', 'Ukraine', '[]'),
    ('UG', 'Uganda', '[]'),
    ('UM', 'United States Minor Outlying Islands', '[]'),
    ('US', 'United States', '["USA", "United States of America", "America", "U.S.", "U.S.A."]'),
    ('UY', 'Uruguay', '[]'),
    ('UZ', 'Uzbekistan', '[]'),
    ('VA', 'Holy See', '["Vatican", "Vatican City"]'),
    ('VC', 'Saint Vincent and the Grenadines', '[]'),
    ('VE', 'Venezuela', '["Bolivarian Republic of Venezuela"]'),
    ('VG', 'British Virgin Islands', '["Virgin Islands (British)"]'),
    ('VI', 'U.S. Virgin Islands', '["Virgin Islands (U.S.)", "US Virgin Islands"]'),
    ('VN', 'Vietnam', '["Viet Nam"]'),
    ('VU', 'Vanuatu', '[]'),
    ('WF', 'Wallis and Futuna', '[]'),
    ('WS', 'Samoa', '[]'),
    ('YE', 'Yemen', '[]'),
    ('YT', 'Mayotte', '[]'),
    ('ZA', 'South Africa', '[]'),
    ('ZM', 'Zambia', '[]'),
    ('ZW', 'Zimbabwe', '[]');

-- The seeded themes; editors add and rename more.
INSERT INTO themes (slug, name, description, aliases) VALUES
    ('sanctions', 'Sanctions', 'Sanctions, export controls and their enforcement', '["sanction", "embargo"]'),
    ('trade', 'Trade', 'Trade flows, customs data, smuggling and economic ties', '["commerce", "economy"]'),
    ('troops', 'Troops', 'Military deployments, drills, arms transfers and military cooperation', '["military", "army", "defense", "defence"]'),
    ('diplomacy', 'Diplomacy', 'Summits, talks, envoys and diplomatic relations', '["diplomatic", "talks"]'),
    ('aid', 'Aid', 'Humanitarian, medical and food aid', '["humanitarian aid", "humanitarian"]'),
    ('labor', 'Labor', 'Workers sent abroad and labor exports', '["labour", "workers"]'),
    ('nuclear', 'Nuclear', 'Nuclear weapons, missiles and nonproliferation', '["nuclear weapons", "missiles"]'),
    ('culture', 'Culture', 'Film, art, sport and cultural exchange', '["arts", "film"]'),
    ('tourism', 'Tourism', 'Tourism and travel', '["travel", "tourists"]'),
    ('infrastructure', 'Infrastructure', 'Bridges, railways, checkpoints and construction', '["construction"]'),
    ('human-rights', 'Human rights', 'Human rights, defectors and abductions', '["human rights", "rights"]'),
    ('cyber', 'Cyber', 'Hacking, cybercrime and cryptocurrency theft', '["hacking", "cybersecurity"]');

-- +goose Down
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;
DROP TABLE article_tombstones;
DROP TABLE article_themes;
DROP TABLE article_countries;
DROP TABLE articles;
DROP TABLE themes;
DROP TABLE countries;
