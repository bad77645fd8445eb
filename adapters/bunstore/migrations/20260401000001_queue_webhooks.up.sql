-- Asynchronous jobs, idempotency keys and webhooks. Rendered like the
-- initial schema; {{.PG}} is set on PostgreSQL for the statements whose
-- syntax differs (SQLite runs its migrations in one transaction, so a
-- statement without IF [NOT] EXISTS runs exactly once there).

-- An idempotency key remembers the resource its first request created: a
-- job or a document. The initial job_id column (never written) gives way
-- to resource_id.
{{if .PG}}ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS resource_id TEXT NOT NULL DEFAULT ''{{else}}ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT NOT NULL DEFAULT ''{{end}}
--bun:split
{{if .PG}}ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS job_id{{else}}ALTER TABLE idempotency_keys DROP COLUMN job_id{{end}}
--bun:split

CREATE TABLE IF NOT EXISTS webhooks (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    url          TEXT NOT NULL,
    events       {{.JSON}} NOT NULL,
    -- Kept in clear: signing needs it. Shown once, at creation.
    secret       TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   {{.Time}} NOT NULL,
    updated_at   {{.Time}} NOT NULL,
    deleted_at   {{.Time}},
    CONSTRAINT webhooks_workspace_id_key UNIQUE (workspace_id, id)
)
--bun:split
CREATE INDEX IF NOT EXISTS webhooks_workspace_live_idx ON webhooks (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NULL
--bun:split

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    webhook_id   TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    attempt      INTEGER NOT NULL CHECK (attempt >= 1),
    status_code  INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    delivered_at {{.Time}} NOT NULL,
    CONSTRAINT webhook_deliveries_webhook_fkey FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id)
)
--bun:split
CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook_idx ON webhook_deliveries (workspace_id, webhook_id, delivered_at DESC, id DESC)
--bun:split
CREATE INDEX IF NOT EXISTS webhook_deliveries_delivered_idx ON webhook_deliveries (delivered_at)
