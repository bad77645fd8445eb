CREATE INDEX IF NOT EXISTS documents_workspace_created_idx ON documents (workspace_id, created_at DESC, id DESC)
--bun:split
DROP INDEX IF EXISTS documents_workspace_created_filters_idx
