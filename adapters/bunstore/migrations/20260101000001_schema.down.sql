DROP TABLE IF EXISTS idempotency_keys
--bun:split
DROP TABLE IF EXISTS events
--bun:split
DROP TABLE IF EXISTS extracted_tables
--bun:split
DROP TABLE IF EXISTS jobs
--bun:split
DROP TABLE IF EXISTS configurations
--bun:split
DROP TABLE IF EXISTS documents
--bun:split
DROP TABLE IF EXISTS api_keys
--bun:split
DROP TABLE IF EXISTS workspaces
