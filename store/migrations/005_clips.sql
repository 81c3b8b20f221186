-- Outreach clips made in the studio (package worker/clips): one row per clip, the files it
-- produced, and its progress. The row and its River job are inserted in one transaction.
CREATE TABLE clips (
    id          bigserial   PRIMARY KEY,
    -- Who queued the clip: the account id from the studio, or '' from the CLI.
    owner       text        NOT NULL DEFAULT '',
    lawyer_id   integer     NOT NULL REFERENCES lawyers (id),
    lang        text        NOT NULL CHECK (lang IN ('zh', 'en')),
    script      text        NOT NULL,
    title       text        NOT NULL DEFAULT '',
    subtitles   boolean     NOT NULL DEFAULT true,
    width       integer     NOT NULL,
    height      integer     NOT NULL,
    formats     text[]      NOT NULL,
    speed       real        NOT NULL DEFAULT 1,
    pitch       integer     NOT NULL DEFAULT 0,
    status      text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued',
                    'synthesising', 'rendering', 'encoding', 'done', 'failed', 'cancelled')),
    progress    integer     NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error       text        NOT NULL DEFAULT '',
    job_id      bigint,
    -- Attempts started, across River retries and recoveries after a lost worker.
    attempts    integer     NOT NULL DEFAULT 0,
    -- The worker rendering the clip holds a lease it renews; an expired lease on an
    -- unfinished clip means the worker died, and the clip is queued again.
    lease_owner text,
    lease_until timestamptz,
    duration_ms integer,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX clips_owner_idx ON clips (owner, created_at DESC);
CREATE INDEX clips_unfinished_idx ON clips (lease_until)
    WHERE status IN ('queued', 'synthesising', 'rendering', 'encoding');

-- The finished files of a clip, one per format, named by their content hash.
CREATE TABLE clip_files (
    clip_id    bigint      NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    format     text        NOT NULL CHECK (format IN ('mp4', 'webm')),
    name       text        NOT NULL,
    bytes      bigint      NOT NULL,
    sha256     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clip_id, format)
);
