-- ADE's initial schema. Rendered as a Go template per dialect:
-- {{.JSON}} is jsonb on PostgreSQL and TEXT on SQLite; {{.Time}} is
-- timestamptz on PostgreSQL and TEXT on SQLite (fixed-width UTC, so text
-- order is time order). Every statement is idempotent (IF NOT EXISTS), so a
-- run interrupted on a database without transactional DDL can be repeated.
-- Composite foreign keys on (workspace_id, id) make a row refer only to rows
-- of its own workspace.

CREATE TABLE IF NOT EXISTS workspaces (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL,
    CONSTRAINT workspaces_slug_key UNIQUE (slug)
)
--bun:split
CREATE INDEX IF NOT EXISTS workspaces_created_idx ON workspaces (created_at DESC, id DESC)
--bun:split

CREATE TABLE IF NOT EXISTS api_keys (
    id           TEXT PRIMARY KEY,
    -- NULL for a global admin key.
    workspace_id TEXT REFERENCES workspaces (id),
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    label        TEXT NOT NULL DEFAULT '',
    key_hash     TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   {{.Time}} NOT NULL,
    revoked_at   {{.Time}},
    last_used_at {{.Time}},
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
)
--bun:split
CREATE INDEX IF NOT EXISTS api_keys_workspace_idx ON api_keys (workspace_id, created_at DESC, id DESC)
--bun:split

CREATE TABLE IF NOT EXISTS documents (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id),
    original_filename  TEXT NOT NULL,
    content_type       TEXT NOT NULL,
    byte_size          BIGINT NOT NULL CHECK (byte_size >= 0),
    sha256             TEXT NOT NULL,
    metadata           {{.JSON}} NOT NULL,
    blob_key           TEXT NOT NULL,
    expires_at         {{.Time}} NOT NULL,
    created_at         {{.Time}} NOT NULL,
    updated_at         {{.Time}} NOT NULL,
    -- No foreign key: jobs refer to documents, and a cycle of foreign keys
    -- cannot be declared in one CREATE TABLE on PostgreSQL.
    produced_by_job_id TEXT,
    deleted_at         {{.Time}},
    deleted_by         TEXT NOT NULL DEFAULT '',
    delete_reason      TEXT NOT NULL DEFAULT '',
    CONSTRAINT documents_workspace_id_key UNIQUE (workspace_id, id)
)
--bun:split
CREATE INDEX IF NOT EXISTS documents_workspace_created_idx ON documents (workspace_id, created_at DESC, id DESC)
--bun:split
CREATE INDEX IF NOT EXISTS documents_produced_by_idx ON documents (workspace_id, produced_by_job_id) WHERE produced_by_job_id IS NOT NULL
--bun:split
CREATE INDEX IF NOT EXISTS documents_expires_idx ON documents (expires_at) WHERE deleted_at IS NULL
--bun:split

CREATE TABLE IF NOT EXISTS configurations (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    document_type TEXT NOT NULL,
    title         TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    is_active     BOOLEAN NOT NULL DEFAULT FALSE,
    activated_at  {{.Time}},
    payload       {{.JSON}} NOT NULL,
    created_at    {{.Time}} NOT NULL,
    updated_at    {{.Time}} NOT NULL,
    CONSTRAINT configurations_workspace_id_key UNIQUE (workspace_id, id),
    CONSTRAINT configurations_version_key UNIQUE (workspace_id, document_type, version)
)
--bun:split
-- At most one active version per (workspace, document type).
CREATE UNIQUE INDEX IF NOT EXISTS configurations_one_active_idx ON configurations (workspace_id, document_type) WHERE is_active
--bun:split
CREATE INDEX IF NOT EXISTS configurations_workspace_created_idx ON configurations (workspace_id, created_at DESC, id DESC)
--bun:split
CREATE INDEX IF NOT EXISTS configurations_workspace_active_idx ON configurations (workspace_id, is_active, created_at DESC, id DESC)
--bun:split

CREATE TABLE IF NOT EXISTS jobs (
    id                    TEXT PRIMARY KEY,
    workspace_id          TEXT NOT NULL REFERENCES workspaces (id),
    status                TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    document_type         TEXT NOT NULL,
    configuration_id      TEXT NOT NULL,
    configuration_version INTEGER NOT NULL,
    input_document_id     TEXT NOT NULL,
    created_by            TEXT NOT NULL DEFAULT '',
    created_at            {{.Time}} NOT NULL,
    updated_at            {{.Time}} NOT NULL,
    started_at            {{.Time}},
    finished_at           {{.Time}},
    attempts              INTEGER NOT NULL DEFAULT 0,
    metrics               {{.JSON}} NOT NULL,
    logs                  {{.JSON}} NOT NULL,
    error_code            TEXT,
    error_message         TEXT,
    output_document_ids   {{.JSON}} NOT NULL,
    CONSTRAINT jobs_workspace_id_key UNIQUE (workspace_id, id),
    CONSTRAINT jobs_input_document_fkey FOREIGN KEY (workspace_id, input_document_id) REFERENCES documents (workspace_id, id),
    CONSTRAINT jobs_configuration_fkey FOREIGN KEY (workspace_id, configuration_id) REFERENCES configurations (workspace_id, id)
)
--bun:split
CREATE INDEX IF NOT EXISTS jobs_workspace_created_idx ON jobs (workspace_id, created_at DESC, id DESC)
--bun:split
CREATE INDEX IF NOT EXISTS jobs_workspace_status_idx ON jobs (workspace_id, status, created_at DESC, id DESC)
--bun:split
CREATE INDEX IF NOT EXISTS jobs_workspace_document_idx ON jobs (workspace_id, input_document_id, created_at DESC)
--bun:split
CREATE INDEX IF NOT EXISTS jobs_workspace_configuration_idx ON jobs (workspace_id, configuration_id, created_at DESC)
--bun:split

CREATE TABLE IF NOT EXISTS extracted_tables (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    job_id         TEXT NOT NULL,
    document_id    TEXT NOT NULL,
    sequence_index INTEGER NOT NULL CHECK (sequence_index >= 0),
    title          TEXT NOT NULL DEFAULT '',
    sheet          TEXT NOT NULL DEFAULT '',
    row_count      INTEGER NOT NULL CHECK (row_count >= 0),
    columns        {{.JSON}} NOT NULL,
    sample_rows    {{.JSON}} NOT NULL,
    metadata       {{.JSON}} NOT NULL,
    created_at     {{.Time}} NOT NULL,
    CONSTRAINT extracted_tables_job_fkey FOREIGN KEY (workspace_id, job_id) REFERENCES jobs (workspace_id, id),
    CONSTRAINT extracted_tables_document_fkey FOREIGN KEY (workspace_id, document_id) REFERENCES documents (workspace_id, id)
)
--bun:split
CREATE INDEX IF NOT EXISTS extracted_tables_job_idx ON extracted_tables (workspace_id, job_id, sequence_index)
--bun:split
CREATE INDEX IF NOT EXISTS extracted_tables_document_idx ON extracted_tables (workspace_id, document_id)
--bun:split

CREATE TABLE IF NOT EXISTS events (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    event_type   TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    occurred_at  {{.Time}} NOT NULL,
    actor_type   TEXT NOT NULL DEFAULT '',
    actor_id     TEXT NOT NULL DEFAULT '',
    actor_label  TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    request_id   TEXT NOT NULL DEFAULT '',
    payload      {{.JSON}} NOT NULL
)
--bun:split
CREATE INDEX IF NOT EXISTS events_workspace_occurred_idx ON events (workspace_id, occurred_at DESC, id DESC)
--bun:split
CREATE INDEX IF NOT EXISTS events_workspace_entity_idx ON events (workspace_id, entity_type, entity_id, occurred_at, id)
--bun:split
CREATE INDEX IF NOT EXISTS events_workspace_type_idx ON events (workspace_id, event_type, occurred_at, id)
--bun:split

CREATE TABLE IF NOT EXISTS idempotency_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    "key"        TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- No foreign key: the key may be reserved before its job exists.
    job_id       TEXT,
    status_code  INTEGER,
    created_at   {{.Time}} NOT NULL,
    PRIMARY KEY (workspace_id, "key")
)
--bun:split
CREATE INDEX IF NOT EXISTS idempotency_keys_created_idx ON idempotency_keys (created_at)
