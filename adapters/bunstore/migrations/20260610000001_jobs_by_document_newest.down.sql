CREATE INDEX IF NOT EXISTS jobs_workspace_document_idx ON jobs (workspace_id, input_document_id, created_at DESC)
--bun:split
DROP INDEX IF EXISTS jobs_workspace_document_newest_idx
