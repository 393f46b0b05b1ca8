-- kura coordinator store: migration 3, the audit log without a UNIQUE index on `hash`.
--
-- Migration 1 declared audit_log.hash UNIQUE. Nothing looks an entry up by its hash, and the chain
-- already makes hashes distinct: each hash covers its entry's seq and the hash before it, so two
-- equal hashes would be a SHA-256 collision. The index was pure cost on the hottest write path:
-- every request, approval and batch step inserted a random 64-character key into it, about one
-- more page written to the WAL per entry and 10-45 µs per API submission (docs/speed.md,
-- section 3). SQLite cannot drop an inline UNIQUE constraint, so the table is rebuilt: same
-- columns, same checks, same rows in the same order, and the same three triggers that keep it
-- append-only and linked. Never edited once released, like schema.sql.

CREATE TABLE audit_log_rebuilt (
  seq  INTEGER PRIMARY KEY CHECK (seq >= 1),
  time INTEGER NOT NULL CHECK (time >= 0),
  type TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
  data TEXT    NOT NULL CHECK (json_valid(data)),
  prev TEXT    NOT NULL CHECK (length(prev) = 64 AND prev NOT GLOB '*[^0-9a-f]*'),
  hash TEXT    NOT NULL CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*')
) STRICT;

INSERT INTO audit_log_rebuilt (seq, time, type, data, prev, hash)
  SELECT seq, time, type, data, prev, hash FROM audit_log ORDER BY seq;

-- Dropping a table drops its triggers first, so the append-only trigger does not fire here.
DROP TABLE audit_log;
ALTER TABLE audit_log_rebuilt RENAME TO audit_log;

CREATE TRIGGER audit_log_extends_chain BEFORE INSERT ON audit_log
WHEN NEW.seq <> COALESCE((SELECT max(seq) FROM audit_log), 0) + 1
  OR NEW.prev <> COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                          '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
  SELECT RAISE(ABORT, 'audit_log: an entry must follow the last one');
END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
