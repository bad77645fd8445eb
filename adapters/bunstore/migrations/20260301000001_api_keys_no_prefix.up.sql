-- API keys are stored only as the SHA-256 of their text: no part of a key
-- is kept, not even a displayable prefix (a prefix of the secret is key
-- material). Keys are named by their id and label instead. SQLite has no
-- DROP COLUMN IF EXISTS; its migrations run in one transaction, so the
-- statement runs exactly once there.
{{if .PG}}ALTER TABLE api_keys DROP COLUMN IF EXISTS prefix{{else}}ALTER TABLE api_keys DROP COLUMN prefix{{end}}
