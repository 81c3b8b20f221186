-- Live calls with the avatars, their turns and the callers' ratings.
CREATE TABLE calls (
    id               text        PRIMARY KEY,
    lawyer_id        integer     NOT NULL REFERENCES lawyers (id),
    lang             text        NOT NULL CHECK (lang IN ('zh', 'en')),
    -- Unguessable token that lets the caller read the transcript and rate the call.
    transcript_token text        NOT NULL UNIQUE,
    node             text        NOT NULL DEFAULT '',
    started_at       timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    end_reason       text,
    handed_off       boolean     NOT NULL DEFAULT false,
    recording        text        -- path of the caller's audio when recording is enabled
);
CREATE INDEX calls_lawyer_idx ON calls (lawyer_id, started_at DESC);
CREATE INDEX calls_live_idx ON calls (started_at) WHERE ended_at IS NULL;

CREATE TABLE call_turns (
    call_id           text        NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq               integer     NOT NULL,
    question          text        NOT NULL,
    typed             boolean     NOT NULL,
    lang              text        NOT NULL,
    answer            text        NOT NULL,
    citations         jsonb       NOT NULL DEFAULT '[]',
    interrupted       boolean     NOT NULL DEFAULT false,
    handoff           boolean     NOT NULL DEFAULT false,
    topic             text        NOT NULL DEFAULT '',
    engine            text        NOT NULL DEFAULT '',
    transcript_ms     integer,
    first_sentence_ms integer,
    first_audio_ms    integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_id, seq)
);

CREATE TABLE call_ratings (
    call_id    text        PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    score      integer     NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
