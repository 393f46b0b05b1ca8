-- kura coordinator store: migration 1, the whole schema of version 1.
--
-- Read with docs/coordinator-store.md. Conventions, held by CHECK constraints so that a bug or a
-- hand edit cannot store what the code would never write:
--   * every table is STRICT: a column holds only its declared type;
--   * money is INTEGER satoshis, read back as bigint, 0 ≤ value ≤ 2,100,000,000,000,000 (21e6 BTC);
--   * times are INTEGER unix seconds;
--   * hashes, txids and ids are lowercase hex TEXT of a fixed length (hex is checked by GLOB);
--   * states are closed lists; links between rows are foreign keys (PRAGMA foreign_keys=ON).
-- This file is migration 1 and is never edited once released: later changes are new numbered
-- migrations in migrations.ts. All SQL of the coordinator lives in this folder (DESIGN.md §8).

-- The single row naming what this database belongs to. Start-up compares it with the home's
-- wallet and policy files and refuses a mismatch.
CREATE TABLE meta (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  network         TEXT    NOT NULL CHECK (network IN ('mainnet', 'testnet', 'signet', 'regtest')),
  wallet_id       TEXT    NOT NULL CHECK (length(wallet_id) = 64 AND wallet_id NOT GLOB '*[^0-9a-f]*'),
  policy_hash     TEXT    NOT NULL CHECK (length(policy_hash) = 64 AND policy_hash NOT GLOB '*[^0-9a-f]*'),
  created_at      INTEGER NOT NULL CHECK (created_at >= 0),
  -- the first block that can hold the wallet's coins: scanning starts here
  birthday_height INTEGER NOT NULL CHECK (birthday_height >= 0)
) STRICT;

-- One unsigned transaction paying approved requests: the PSBT handed to the signers.
CREATE TABLE batches (
  batch_id        TEXT    PRIMARY KEY
                          CHECK (length(batch_id) BETWEEN 1 AND 64 AND batch_id NOT GLOB '*[^0-9A-Za-z_-]*'),
  state           TEXT    NOT NULL CHECK (state IN ('built', 'signed', 'finalized', 'broadcast', 'confirmed',
                                                    'cancelled', 'replaced')),
  psbt            BLOB    NOT NULL CHECK (length(psbt) > 0),
  -- the txid does not depend on witnesses, so it is known when the batch is built
  txid            TEXT    NOT NULL CHECK (length(txid) = 64 AND txid NOT GLOB '*[^0-9a-f]*'),
  fee_sat         INTEGER NOT NULL CHECK (fee_sat >= 0 AND fee_sat <= 2100000000000000),
  -- whole sats per virtual byte, the unit of the policy's fee cap
  fee_rate_sat_vb INTEGER NOT NULL CHECK (fee_rate_sat_vb >= 1),
  -- set on a fee bump: the batch whose transaction this one replaces
  replaces_batch  TEXT    REFERENCES batches (batch_id) CHECK (replaces_batch IS NULL OR replaces_batch <> batch_id),
  created_at      INTEGER NOT NULL CHECK (created_at >= 0),
  updated_at      INTEGER NOT NULL CHECK (updated_at >= created_at),
  -- the finalized network transaction; present from 'finalized' on
  final_tx        BLOB    CHECK (final_tx IS NULL OR length(final_tx) > 0),
  CHECK (state NOT IN ('finalized', 'broadcast', 'confirmed') OR final_tx IS NOT NULL)
) STRICT;
CREATE INDEX batches_by_txid ON batches (txid);
CREATE INDEX batches_by_state ON batches (state);

-- Withdrawal requests. A client's idempotency key names one request body forever: the same key
-- with the same body (body_sha256) is the same request; with another body it is refused.
CREATE TABLE requests (
  request_id      TEXT    PRIMARY KEY CHECK (length(request_id) = 64 AND request_id NOT GLOB '*[^0-9a-f]*'),
  client_id       TEXT    NOT NULL CHECK (length(client_id) BETWEEN 1 AND 128),
  idempotency_key TEXT    NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  body_sha256     TEXT    NOT NULL CHECK (length(body_sha256) = 64 AND body_sha256 NOT GLOB '*[^0-9a-f]*'),
  destination     TEXT    NOT NULL CHECK (length(destination) BETWEEN 1 AND 128),
  -- derived from the destination for the wallet's network; what the signer compares
  script_pubkey   TEXT    NOT NULL CHECK (length(script_pubkey) BETWEEN 2 AND 160 AND length(script_pubkey) % 2 = 0
                                          AND script_pubkey NOT GLOB '*[^0-9a-f]*'),
  amount_sat      INTEGER NOT NULL CHECK (amount_sat > 0 AND amount_sat <= 2100000000000000),
  -- the policy the request was checked against; officers' approvals are bound to it
  policy_hash     TEXT    NOT NULL CHECK (length(policy_hash) = 64 AND policy_hash NOT GLOB '*[^0-9a-f]*'),
  expires_at      INTEGER NOT NULL CHECK (expires_at >= 0),
  created_at      INTEGER NOT NULL CHECK (created_at >= 0),
  updated_at      INTEGER NOT NULL CHECK (updated_at >= created_at),
  state           TEXT    NOT NULL CHECK (state IN ('pending_approval', 'approved', 'batched', 'signed', 'broadcast',
                                                    'confirmed', 'rejected', 'cancelled', 'expired')),
  batch_id        TEXT    REFERENCES batches (batch_id),
  -- every reason the policy gave, as JSON, when the request was rejected at intake
  refusal         TEXT    CHECK (refusal IS NULL OR json_valid(refusal)),
  UNIQUE (client_id, idempotency_key),
  -- a request is in a batch exactly while it is batched, signed, broadcast or confirmed
  CHECK ((state IN ('batched', 'signed', 'broadcast', 'confirmed')) = (batch_id IS NOT NULL)),
  CHECK (state <> 'rejected' OR refusal IS NOT NULL)
) STRICT;
CREATE INDEX requests_by_state ON requests (state, created_at);
CREATE INDEX requests_by_batch ON requests (batch_id) WHERE batch_id IS NOT NULL;
-- intake sums the last 24 hours of requests for the rolling limits on every submission
CREATE INDEX requests_by_created_at ON requests (created_at);

-- Officers' approvals (BIP-340 signatures, verified before they are stored): one per officer
-- per request.
CREATE TABLE approvals (
  request_id         TEXT    NOT NULL REFERENCES requests (request_id),
  officer_public_key TEXT    NOT NULL
                             CHECK (length(officer_public_key) = 64 AND officer_public_key NOT GLOB '*[^0-9a-f]*'),
  approved_at        INTEGER NOT NULL CHECK (approved_at >= 0),
  signature          TEXT    NOT NULL CHECK (length(signature) = 128 AND signature NOT GLOB '*[^0-9a-f]*'),
  received_at        INTEGER NOT NULL CHECK (received_at >= 0),
  UNIQUE (request_id, officer_public_key)
) STRICT;

-- The wallet's derived addresses (P2WSH: OP_0 <32 bytes>), receive branch 0 and change branch 1.
CREATE TABLE addresses (
  branch          INTEGER NOT NULL CHECK (branch IN (0, 1)),
  address_index   INTEGER NOT NULL CHECK (address_index >= 0 AND address_index < 2147483648),
  script_pubkey   TEXT    NOT NULL UNIQUE CHECK (length(script_pubkey) = 68 AND substr(script_pubkey, 1, 4) = '0020'
                                                 AND script_pubkey NOT GLOB '*[^0-9a-f]*'),
  -- 1 once a transaction (confirmed or not) paid it
  used            INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
  -- 1 once handed out (a deposit address shown, a change output built); the gap limit counts
  -- from the highest index used or issued
  issued          INTEGER NOT NULL DEFAULT 0 CHECK (issued IN (0, 1)),
  PRIMARY KEY (branch, address_index)
) STRICT;

-- The best chain as far as the coordinator has scanned it, kept to find the fork point of a reorg.
CREATE TABLE blocks (
  height    INTEGER PRIMARY KEY CHECK (height >= 0),
  hash      TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
  prev_hash TEXT    NOT NULL CHECK (length(prev_hash) = 64 AND prev_hash NOT GLOB '*[^0-9a-f]*'),
  UNIQUE (height, hash)
) STRICT;

-- The wallet's coins (outputs paying one of its addresses), spent or not.
CREATE TABLE coins (
  txid            TEXT    NOT NULL CHECK (length(txid) = 64 AND txid NOT GLOB '*[^0-9a-f]*'),
  vout            INTEGER NOT NULL CHECK (vout >= 0 AND vout < 4294967296),
  branch          INTEGER NOT NULL,
  address_index   INTEGER NOT NULL,
  script_pubkey   TEXT    NOT NULL,
  value_sat       INTEGER NOT NULL CHECK (value_sat >= 0 AND value_sat <= 2100000000000000),
  -- coinbase outputs vanish with their block in a reorg; others fall back to the mempool
  coinbase        INTEGER NOT NULL DEFAULT 0 CHECK (coinbase IN (0, 1)),
  -- NULL while unconfirmed
  height          INTEGER,
  block_hash      TEXT,
  -- the transaction that spends it (ours or not) and, once confirmed, that transaction's height
  spent_by_txid   TEXT    CHECK (spent_by_txid IS NULL OR (length(spent_by_txid) = 64
                                                           AND spent_by_txid NOT GLOB '*[^0-9a-f]*')),
  spent_height    INTEGER CHECK (spent_height IS NULL OR spent_height >= 0),
  -- the batch whose transaction spends it; a locked coin is never selected again
  locked_by_batch TEXT    REFERENCES batches (batch_id),
  PRIMARY KEY (txid, vout),
  FOREIGN KEY (branch, address_index) REFERENCES addresses (branch, address_index),
  FOREIGN KEY (height, block_hash) REFERENCES blocks (height, hash),
  CHECK ((height IS NULL) = (block_hash IS NULL)),
  CHECK (coinbase = 0 OR height IS NOT NULL),
  CHECK (spent_height IS NULL OR spent_by_txid IS NOT NULL)
) STRICT;
CREATE INDEX coins_by_height ON coins (height) WHERE height IS NOT NULL;
CREATE INDEX coins_by_spent_height ON coins (spent_height) WHERE spent_height IS NOT NULL;
CREATE INDEX coins_by_batch ON coins (locked_by_batch) WHERE locked_by_batch IS NOT NULL;
CREATE INDEX coins_by_address ON coins (branch, address_index);

-- Partial signatures from each cosigner, as imported (the signed PSBT file, whole).
CREATE TABLE batch_signatures (
  batch_id    TEXT    NOT NULL REFERENCES batches (batch_id),
  fingerprint TEXT    NOT NULL CHECK (length(fingerprint) = 8 AND fingerprint NOT GLOB '*[^0-9a-f]*'),
  psbt        BLOB    NOT NULL CHECK (length(psbt) > 0),
  received_at INTEGER NOT NULL CHECK (received_at >= 0),
  UNIQUE (batch_id, fingerprint)
) STRICT;

-- API bearer tokens. Only the SHA-256 of a token is kept; the token is shown once at creation.
CREATE TABLE tokens (
  token_id     TEXT    PRIMARY KEY
                       CHECK (length(token_id) = 20 AND substr(token_id, 1, 4) = 'tok_'
                              AND substr(token_id, 5) NOT GLOB '*[^0-9a-f]*'),
  role         TEXT    NOT NULL CHECK (role IN ('intake', 'officer', 'operator', 'auditor')),
  token_sha256 TEXT    NOT NULL UNIQUE CHECK (length(token_sha256) = 64 AND token_sha256 NOT GLOB '*[^0-9a-f]*'),
  label        TEXT    NOT NULL DEFAULT '' CHECK (length(label) <= 200),
  created_at   INTEGER NOT NULL CHECK (created_at >= 0),
  revoked_at   INTEGER CHECK (revoked_at IS NULL OR revoked_at >= created_at)
) STRICT;

-- The audit log: the hash chain of src/artifacts/hashChain.ts, one row per entry, exactly its
-- fields ({ seq, time, type, data, prev, hash }). Every state change of the tables above writes
-- its entry in the same transaction. The triggers make the table append-only and keep the chain
-- linked; someone who edits the file directly is caught by verifying the exported chain.
CREATE TABLE audit_log (
  seq  INTEGER PRIMARY KEY CHECK (seq >= 1),
  time INTEGER NOT NULL CHECK (time >= 0),
  type TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
  data TEXT    NOT NULL CHECK (json_valid(data)),
  prev TEXT    NOT NULL CHECK (length(prev) = 64 AND prev NOT GLOB '*[^0-9a-f]*'),
  hash TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*')
) STRICT;

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
