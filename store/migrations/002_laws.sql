-- The statute library and the explainer cards (package dialog/law).

-- One row per imported law; content_hash makes re-imports of an unchanged file no-ops.
CREATE TABLE laws (
    id            serial      PRIMARY KEY,
    title         text        NOT NULL UNIQUE,
    file_name     text        NOT NULL,
    history       text[]      NOT NULL DEFAULT '{}',
    content_hash  text        NOT NULL,
    article_count integer     NOT NULL,
    imported_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per article (条); paragraphs holds its 款 and 项 in order.
CREATE TABLE articles (
    law_id     integer NOT NULL REFERENCES laws (id) ON DELETE CASCADE,
    number     integer NOT NULL CHECK (number > 0),
    path       text[]  NOT NULL DEFAULT '{}',
    paragraphs text[]  NOT NULL,
    PRIMARY KEY (law_id, number)
);

-- The explainer cards embedded in the binary, loaded at import and at start.
CREATE TABLE cards (
    id           text        PRIMARY KEY,
    topic        text        NOT NULL,
    risk         text        NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    offer_lawyer boolean     NOT NULL,
    body         jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX cards_topic_idx ON cards (topic);
