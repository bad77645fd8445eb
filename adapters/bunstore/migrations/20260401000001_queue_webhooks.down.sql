DROP TABLE IF EXISTS webhook_deliveries
--bun:split
DROP TABLE IF EXISTS webhooks
--bun:split
ALTER TABLE idempotency_keys ADD COLUMN job_id TEXT
--bun:split
ALTER TABLE idempotency_keys DROP COLUMN resource_id
