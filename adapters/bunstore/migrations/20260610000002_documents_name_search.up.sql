-- The documents list's index also holds what its filters read (deleted,
-- produced by a job, the filename), so a name search walks the index alone
-- and reads a table row only for a document that matches. It replaces the
-- index without them.
CREATE INDEX IF NOT EXISTS documents_workspace_created_filters_idx ON documents (workspace_id, created_at DESC, id DESC, deleted_at, produced_by_job_id, original_filename)
--bun:split
DROP INDEX IF EXISTS documents_workspace_created_idx
