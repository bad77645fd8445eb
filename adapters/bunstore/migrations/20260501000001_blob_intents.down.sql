DROP TABLE IF EXISTS instances
--bun:split
DROP TABLE IF EXISTS blob_intents
