-- A document's jobs newest first, ties broken by id: the order of every
-- job list, so "the newest job of each document" (the documents ledger)
-- reads one index entry per document instead of walking the workspace's
-- jobs. It replaces the index without the id.
CREATE INDEX IF NOT EXISTS jobs_workspace_document_newest_idx ON jobs (workspace_id, input_document_id, created_at DESC, id DESC)
--bun:split
DROP INDEX IF EXISTS jobs_workspace_document_idx
