-- Blob intents: keys whose blob a process stored before their row (or
-- whose row says the bytes are gone before they are), resolved when the
-- process settles them. Instances: the leases of running processes, so a
-- sweep can tell the intents of a process that died from those of one at
-- work. Neither refers to other tables: an intent outlives whatever its
-- key belonged to.
CREATE TABLE IF NOT EXISTS blob_intents (
    blob_key     TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    owner        TEXT NOT NULL,
    created_at   {{.Time}} NOT NULL
)
--bun:split
CREATE INDEX IF NOT EXISTS blob_intents_created_idx ON blob_intents (created_at, blob_key)
--bun:split
CREATE TABLE IF NOT EXISTS instances (
    id         TEXT PRIMARY KEY,
    expires_at {{.Time}} NOT NULL
)
