-- The queue of requests for a human lawyer, its audit trail and callback requests
-- (package handoffs).
CREATE TABLE handoffs (
    id               bigserial   PRIMARY KEY,
    call_id          text        NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    preferred_lawyer integer     NOT NULL REFERENCES lawyers (id),
    topic            text        NOT NULL DEFAULT '',
    reason           text        NOT NULL DEFAULT '',
    summary          text        NOT NULL DEFAULT '',
    lang             text        NOT NULL DEFAULT 'zh',
    enterprise       text        NOT NULL DEFAULT '',
    -- waiting: nobody holds the offer; offered: offered_to may accept until
    -- offer_expires_at; accepted: accepted_by has the call; unanswered: nobody took it in
    -- time; cancelled: the caller left first; ended: the lawyer's part is over.
    status           text        NOT NULL DEFAULT 'waiting' CHECK (status IN
                     ('waiting', 'offered', 'accepted', 'unanswered', 'cancelled', 'ended')),
    offered_to       integer     REFERENCES lawyers (id),
    offer_expires_at timestamptz,
    accepted_by      integer     REFERENCES lawyers (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    accepted_at      timestamptz,
    closed_at        timestamptz,
    note             text        NOT NULL DEFAULT ''
);
-- At most one open request per call.
CREATE UNIQUE INDEX handoffs_open_call_idx ON handoffs (call_id)
    WHERE status IN ('waiting', 'offered', 'accepted');
CREATE INDEX handoffs_open_idx ON handoffs (created_at) WHERE status IN ('waiting', 'offered');

-- Lawyers who declined a request or let its offer time out; it is not offered to them again.
CREATE TABLE handoff_passes (
    handoff_id bigint      NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    lawyer_id  integer     NOT NULL REFERENCES lawyers (id),
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handoff_id, lawyer_id)
);

-- The audit trail: every request, offer, accept, decline, timeout, hand back and end.
CREATE TABLE handoff_events (
    id         bigserial   PRIMARY KEY,
    handoff_id bigint      NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('request', 'offer', 'accept', 'decline',
               'timeout', 'unanswered', 'cancel', 'hand_back', 'end', 'callback', 'note')),
    actor      text        NOT NULL, -- 'system', 'caller' or 'lawyer:N'
    lawyer_id  integer,
    detail     text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handoff_events_handoff_idx ON handoff_events (handoff_id, id);

-- Callers who asked to be called back when no lawyer was free.
CREATE TABLE handoff_callbacks (
    id           bigserial   PRIMARY KEY,
    handoff_id   bigint      NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    contact_kind text        NOT NULL CHECK (contact_kind IN ('phone', 'wechat')),
    contact      text        NOT NULL,
    time_window  text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz,
    done_by      integer     REFERENCES lawyers (id)
);
CREATE INDEX handoff_callbacks_open_idx ON handoff_callbacks (created_at) WHERE done_at IS NULL;
