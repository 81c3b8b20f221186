-- The lawyer directory: one row per lawyer who lends an avatar to the service.
CREATE TABLE lawyers (
    id               integer PRIMARY KEY,
    name             text        NOT NULL,
    gender           text        NOT NULL CHECK (gender IN ('female', 'male')),
    firm             text        NOT NULL,
    district         text        NOT NULL,
    specialties      text[]      NOT NULL,
    languages        text[]      NOT NULL,
    years_practice   integer     NOT NULL CHECK (years_practice >= 0),
    bio              text        NOT NULL,
    on_duty          boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX lawyers_specialties_idx ON lawyers USING gin (specialties);
CREATE INDEX lawyers_district_idx ON lawyers (district);
