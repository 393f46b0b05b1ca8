// One error class for every refusal kura makes. The `code` is stable and documented (README,
// "Error codes"); scripts and tests match on it, never on the message. The message is one line
// for a person and names the offending field.

/** Exit-code families of the CLI. Documented in the README; never renumber. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  badInput: 3,
  refused: 4,
  secret: 5,
  conflict: 6,
  declined: 7,
  environment: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every error code kura emits, with its CLI exit code and its HTTP status. */
export const ERROR_CODES = {
  // usage and input
  ARGUMENT_INVALID: { exit: ExitCode.usage, http: 400, about: 'a flag or argument has an invalid value' },
  INPUT_REQUIRED: {
    exit: ExitCode.usage,
    http: 400,
    about: 'a value must be typed or given by a file flag, and neither was possible',
  },
  INTERACTIVE_REQUIRED: {
    exit: ExitCode.usage,
    http: 400,
    about: 'the step needs a person at a terminal; scripts must opt out explicitly',
  },
  FILE_NOT_FOUND: { exit: ExitCode.badInput, http: 400, about: 'a named file does not exist' },
  FILE_UNREADABLE: { exit: ExitCode.badInput, http: 400, about: 'a named file cannot be read' },
  FILE_TOO_LARGE: {
    exit: ExitCode.badInput,
    http: 413,
    about: 'a file is larger than kura accepts for its kind',
  },
  FILE_EXISTS: { exit: ExitCode.conflict, http: 409, about: 'kura will not overwrite an existing file' },
  FILE_WRITE_FAILED: {
    exit: ExitCode.environment,
    http: 500,
    about: 'a file could not be written; nothing was left half-written',
  },
  JSON_MALFORMED: { exit: ExitCode.badInput, http: 400, about: 'a file is not valid JSON' },
  ARTIFACT_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a kura file has a missing or invalid field, or is of another kind or version',
  },

  // mnemonic and entropy
  MNEMONIC_WORD_COUNT: { exit: ExitCode.badInput, http: 400, about: 'a mnemonic must have 12–24 words' },
  MNEMONIC_UNKNOWN_WORD: { exit: ExitCode.badInput, http: 400, about: 'a word is not in the BIP-39 list' },
  MNEMONIC_CHECKSUM: { exit: ExitCode.badInput, http: 400, about: 'the mnemonic checksum does not match' },
  DICE_INVALID: { exit: ExitCode.badInput, http: 400, about: 'dice rolls must be digits 1–6, at least 99' },
  BACKUP_CHECK_FAILED: {
    exit: ExitCode.declined,
    http: 400,
    about: 'a word typed back did not match; nothing was written',
  },

  // keystore
  PASSPHRASE_TOO_SHORT: {
    exit: ExitCode.secret,
    http: 400,
    about: 'the keystore passphrase is shorter than allowed',
  },
  PASSPHRASE_MISMATCH: { exit: ExitCode.secret, http: 400, about: 'the two passphrase entries differ' },
  KEYSTORE_EXISTS: { exit: ExitCode.conflict, http: 409, about: 'the signer home already holds a key' },
  KEYSTORE_NOT_FOUND: { exit: ExitCode.badInput, http: 404, about: 'the signer home holds no key' },
  KEYSTORE_PASSPHRASE_WRONG: { exit: ExitCode.secret, http: 401, about: 'the keystore passphrase is wrong' },
  KEYSTORE_CORRUPT: {
    exit: ExitCode.secret,
    http: 400,
    about: 'the keystore is damaged: its fields or its ciphertext fail their checks',
  },

  // keys and descriptors
  KEY_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'an extended public key does not decode or is invalid',
  },
  KEY_ORIGIN_MISSING: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a key lacks its origin ([fingerprint/path])',
  },
  KEY_ORIGIN_MISMATCH: {
    exit: ExitCode.badInput,
    http: 400,
    about: "a key's origin path disagrees with the key's own depth or parent",
  },
  KEY_NETWORK_MISMATCH: { exit: ExitCode.refused, http: 400, about: 'a key belongs to another network' },
  KEY_SCRIPT_TYPE_MISMATCH: {
    exit: ExitCode.refused,
    http: 400,
    about: 'a SLIP-132 key is marked for another script type than P2WSH multisig',
  },
  KEY_DUPLICATE: { exit: ExitCode.refused, http: 400, about: 'the same public key appears twice' },
  THRESHOLD_INVALID: { exit: ExitCode.refused, http: 400, about: 'M must satisfy 1 ≤ M ≤ N' },
  TOO_MANY_COSIGNERS: {
    exit: ExitCode.refused,
    http: 400,
    about: 'P2WSH sortedmulti allows at most 15 keys',
  },
  DESCRIPTOR_MALFORMED: { exit: ExitCode.badInput, http: 400, about: 'a descriptor does not parse' },
  DESCRIPTOR_CHECKSUM_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a descriptor checksum is missing or wrong (typo protection, not authentication)',
  },
  DESCRIPTOR_UNSUPPORTED: {
    exit: ExitCode.refused,
    http: 400,
    about: 'kura wallets are wsh(sortedmulti(...)) with BIP-48 keys; other descriptors are refused',
  },
  WALLET_ID_MISMATCH: {
    exit: ExitCode.refused,
    http: 400,
    about: "a wallet file's id, network or derived descriptors disagree with its descriptor",
  },

  // signer state
  SIGNER_KEY_NOT_IN_WALLET: {
    exit: ExitCode.refused,
    http: 400,
    about: "the signer's own key (public key and chain code) is not one of the wallet's keys",
  },
  NETWORK_MISMATCH: { exit: ExitCode.refused, http: 400, about: 'two artifacts are for different networks' },
  WALLET_ALREADY_REGISTERED: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'another wallet is pinned on this signer; --replace is needed',
  },
  CONFIRMATION_DECLINED: { exit: ExitCode.declined, http: 400, about: 'the operator did not confirm' },
  SELF_TEST_FAILED: {
    exit: ExitCode.environment,
    http: 500,
    about: 'the curve library or BIP-32 derivation gave a wrong answer on a known vector',
  },

  // requests, policy and approvals
  REQUEST_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a withdrawal request has a missing or invalid field',
  },
  ADDRESS_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a destination is not a valid address for the wallet network',
  },
  AMOUNT_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'an amount is not an integer from 1 to 21e14 sats',
  },
  POLICY_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a policy file has a missing or invalid field',
  },
  POLICY_NOT_PINNED: { exit: ExitCode.refused, http: 409, about: 'the signer has no pinned policy' },
  POLICY_HASH_MISMATCH: {
    exit: ExitCode.refused,
    http: 409,
    about: 'a policy hash differs from the pinned or expected policy',
  },
  POLICY_WALLET_MISMATCH: {
    exit: ExitCode.refused,
    http: 409,
    about: 'the policy is for another wallet or network',
  },
  POLICY_REFUSED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the policy refuses the request; details list every reason',
  },
  POLICY_LIMIT_EXCEEDED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a per-withdrawal or rolling 24 h limit is exceeded',
  },
  POLICY_DESTINATION_NOT_ALLOWED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the destination is not on the allowlist',
  },
  POLICY_DESTINATION_COOLING: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the destination was added to the allowlist too recently',
  },
  POLICY_DESTINATION_DENIED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the destination is on the screening denylist (sanctioned or stolen coins)',
  },
  POLICY_FEE_TOO_HIGH: { exit: ExitCode.refused, http: 422, about: 'the fee exceeds a cap of the policy' },
  APPROVAL_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'an approval file has a missing or invalid field',
  },
  APPROVAL_SIGNATURE_INVALID: {
    exit: ExitCode.refused,
    http: 422,
    about: 'an approval signature does not verify for its officer and content',
  },
  APPROVAL_OFFICER_UNKNOWN: {
    exit: ExitCode.refused,
    http: 422,
    about: 'an approval key is not an officer of the policy',
  },
  APPROVAL_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'an approval is for another request, amount, destination, wallet or policy',
  },
  APPROVAL_EXPIRED: { exit: ExitCode.refused, http: 422, about: 'an approval or its request has expired' },
  APPROVAL_QUORUM_NOT_MET: {
    exit: ExitCode.refused,
    http: 422,
    about: 'fewer distinct officers approved than the tier needs, or a required role is missing',
  },
  APPROVAL_DELAY_NOT_OVER: {
    exit: ExitCode.refused,
    http: 422,
    about: "the tier's delay after the last approval is not over",
  },
  // (policy work: add further policy codes above this line)
  // (approvals work: add further approval codes above this line)
  OFFICER_KEY_EXISTS: { exit: ExitCode.conflict, http: 409, about: 'an officer key file already exists' },

  // PSBT and the signer
  PSBT_MALFORMED: { exit: ExitCode.badInput, http: 400, about: 'a PSBT does not parse' },
  PSBT_VERSION_UNSUPPORTED: { exit: ExitCode.badInput, http: 400, about: 'only PSBT version 0 is supported' },
  PSBT_TOO_LARGE: { exit: ExitCode.badInput, http: 413, about: 'a PSBT is larger than the fixed bound' },
  PSBT_DUPLICATE_KEY: { exit: ExitCode.badInput, http: 400, about: 'a PSBT map holds the same key twice' },
  PACKAGE_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a kura proprietary field of the PSBT is malformed',
  },
  PACKAGE_WALLET_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the signing package is for another wallet than the one registered',
  },
  WALLET_NOT_REGISTERED: { exit: ExitCode.refused, http: 409, about: 'the signer has no registered wallet' },
  INPUT_PREVIOUS_TX_MISSING: {
    exit: ExitCode.refused,
    http: 422,
    about: 'an input lacks its full previous transaction (segwit fee attack defence)',
  },
  INPUT_PREVIOUS_TX_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: "an input's previous transaction does not hash to its outpoint",
  },
  INPUT_WITNESS_UTXO_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: "an input's witness UTXO disagrees with its previous transaction",
  },
  INPUT_NOT_OURS: {
    exit: ExitCode.refused,
    http: 422,
    about: 'an input does not re-derive from the registered wallet',
  },
  INPUT_MIXED_WALLETS: { exit: ExitCode.refused, http: 422, about: 'inputs come from more than one wallet' },
  SIGHASH_NOT_ALLOWED: { exit: ExitCode.refused, http: 422, about: 'only SIGHASH_ALL is signed' },
  OUTPUT_NOT_APPROVED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a payment output does not match exactly one approved request (script and amount)',
  },
  REQUEST_NOT_PAID: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a request in the package has no matching output',
  },
  CHANGE_NOT_OURS: {
    exit: ExitCode.refused,
    http: 422,
    about: "an output claiming to be change does not re-derive from the wallet's change branch",
  },
  CHANGE_INDEX_ABSURD: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a change output sits at an implausibly high index',
  },
  LEDGER_OUTPOINT_REUSED: {
    exit: ExitCode.refused,
    http: 409,
    about: 'the signer already signed another transaction spending this coin',
  },
  LEDGER_REQUEST_PAID: {
    exit: ExitCode.refused,
    http: 409,
    about: 'the signer already signed a payment of this request',
  },
  LEDGER_CORRUPT: {
    exit: ExitCode.environment,
    http: 500,
    about: "the signer's ledger fails its hash chain",
  },

  // coordinator home, store and tokens
  COORDINATOR_HOME_EXISTS: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'the coordinator home already holds a database; kura never re-initializes one',
  },
  COORDINATOR_NOT_INITIALIZED: {
    exit: ExitCode.badInput,
    http: 404,
    about: 'the folder is not a coordinator home: run kura coordinator init',
  },
  COORDINATOR_CONFIG_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: "the coordinator home's config.json has a missing or invalid field",
  },
  COORDINATOR_NOT_FOUND: {
    exit: ExitCode.badInput,
    http: 404,
    about: 'no request, batch, coin or token has that id',
  },
  COORDINATOR_IDEMPOTENCY_CONFLICT: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'the idempotency key was already used by this client with another request body',
  },
  COORDINATOR_STATE_CONFLICT: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'the request or batch is not in a state that allows this step',
  },
  COORDINATOR_DUPLICATE: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'this officer already approved, or this cosigner already signed, with different content',
  },
  COORDINATOR_COIN_UNAVAILABLE: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'a coin is unknown, already spent or locked to another batch',
  },
  STORE_VERSION_UNSUPPORTED: {
    exit: ExitCode.environment,
    http: 500,
    about: 'the database was written by a newer kura; this version will not touch it',
  },
  STORE_MISMATCH: {
    exit: ExitCode.refused,
    http: 409,
    about: "the database belongs to another network or wallet than the home's wallet file",
  },
  STORE_BLOCK_MISMATCH: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'a block does not extend the stored chain; roll back to the fork point first',
  },
  STORE_CORRUPT: {
    exit: ExitCode.environment,
    http: 500,
    about: 'the database fails its own checks (a damaged row or a broken audit chain)',
  },
  STORE_FAILED: {
    exit: ExitCode.environment,
    http: 500,
    about: 'SQLite refused an operation; the transaction was rolled back whole',
  },
  TOKEN_MISSING: {
    exit: ExitCode.refused,
    http: 401,
    about: 'no bearer token was given',
  },
  TOKEN_INVALID: {
    exit: ExitCode.refused,
    http: 401,
    about: 'the bearer token is malformed or unknown',
  },
  TOKEN_REVOKED: { exit: ExitCode.refused, http: 401, about: 'the bearer token was revoked' },
  TOKEN_ROLE_FORBIDDEN: {
    exit: ExitCode.refused,
    http: 403,
    about: "the token's role may not do this",
  },

  // the Bitcoin node (src/chain) and block scanning (src/coordinator/scan)
  NODE_UNREACHABLE: {
    exit: ExitCode.environment,
    http: 503,
    about: 'the Bitcoin node cannot be reached (refused, reset, no route), after bounded retries',
  },
  NODE_TIMEOUT: {
    exit: ExitCode.environment,
    http: 504,
    about: 'the Bitcoin node did not answer within the timeout, after bounded retries',
  },
  NODE_AUTH_FAILED: {
    exit: ExitCode.environment,
    http: 502,
    about: 'the Bitcoin node refused the RPC credentials (HTTP 401 or 403)',
  },
  NODE_COOKIE_UNREADABLE: {
    exit: ExitCode.environment,
    http: 503,
    about: "the node's RPC cookie file is missing or unreadable (is the node running? is the path right?)",
  },
  NODE_RPC_ERROR: {
    exit: ExitCode.environment,
    http: 502,
    about: 'the Bitcoin node answered an RPC error; details carry its rpcCode and the method',
  },
  NODE_BAD_RESPONSE: {
    exit: ExitCode.environment,
    http: 502,
    about:
      'the node answered something that is not a valid JSON-RPC reply (garbage, wrong id or type, too big)',
  },
  NODE_WRONG_NETWORK: {
    exit: ExitCode.refused,
    http: 409,
    about: "the node's chain is not the wallet's network",
  },
  CHAIN_BLOCK_MALFORMED: {
    exit: ExitCode.environment,
    http: 502,
    about: 'a block does not parse, has trailing bytes, or does not match its header or requested hash',
  },
  CHAIN_REORG_TOO_DEEP: {
    exit: ExitCode.environment,
    http: 503,
    about: "the node's chain forks below every block kura remembers; rescan from the birthday height",
  },

  // the coordinator's HTTP API (src/coordinator/http)
  HTTP_ROUTE_NOT_FOUND: { exit: ExitCode.badInput, http: 404, about: 'no API route has that path' },
  HTTP_METHOD_NOT_ALLOWED: {
    exit: ExitCode.badInput,
    http: 405,
    about: 'the API route exists, but not for that HTTP method',
  },
  HTTP_BODY_TOO_LARGE: {
    exit: ExitCode.badInput,
    http: 413,
    about: 'an HTTP request body is larger than the route accepts',
  },
  HTTP_CONTENT_TYPE_UNSUPPORTED: {
    exit: ExitCode.badInput,
    http: 415,
    about: 'an HTTP request body has a Content-Type the route does not accept',
  },
  HTTP_REQUEST_MALFORMED: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'an HTTP request line, header, path or query does not parse',
  },

  // the auditor's tools (src/audit): liabilities tree, log export and verify, reconcile
  LIABILITIES_CSV_MALFORMED: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'the balances CSV has a bad header, a blank or malformed line, a bad customer id, or no rows',
  },
  LIABILITIES_BALANCE_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a balance is not a whole number of sats (a fraction, a sign, blank or not a number)',
  },
  LIABILITIES_NEGATIVE_AMOUNT: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a negative balance or sum: it would let the prover hide liabilities',
  },
  LIABILITIES_AMOUNT_TOO_LARGE: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a balance, sum or total is above 21,000,000 BTC (2.1e15 sats)',
  },
  LIABILITIES_DUPLICATE_ID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a customer id appears twice in the balances (compared ignoring case)',
  },
  LIABILITIES_ROOT_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a liabilities root file has a missing or invalid field',
  },
  LIABILITIES_PROOF_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a liabilities inclusion proof has a missing or invalid field',
  },
  LIABILITIES_DEPTH_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: "a proof's path length or position does not fit the tree the root describes",
  },
  LIABILITIES_ROOT_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the proof does not hash to the published root: the balance is not included as shown',
  },
  LIABILITIES_TOTAL_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: "the sums along the proof do not add up to the root's published total",
  },
  AUDIT_LOG_MALFORMED: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a log line is not a hash-chain entry (or the export header is invalid); details name it',
  },
  AUDIT_LOG_EDITED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a log entry was changed after it was written; details name the first bad entry',
  },
  AUDIT_LOG_REORDERED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'log entries are out of order; details name the first misplaced entry',
  },
  AUDIT_LOG_INSERTED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a log entry was inserted that the chain does not hold; details name it',
  },
  AUDIT_LOG_DELETED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'log entries were removed from the middle; details name the first missing one',
  },
  AUDIT_LOG_TRUNCATED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the log ends before the entry count or head its export header names',
  },
  AUDIT_LOG_HEAD_UNKNOWN: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a head recorded earlier is not in this log: it was rewritten or cut before that point',
  },
  RECONCILE_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: "signer ledgers and the coordinator's log disagree; details list every finding",
  },

  // batches: building, signatures, broadcast and fee bumps (src/coordinator/batch)
  BATCH_FUNDS_INSUFFICIENT: {
    exit: ExitCode.refused,
    http: 409,
    about: "the wallet's spendable coins cannot pay the requests and their fee",
  },
  BATCH_TOO_LARGE: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the transaction would be larger than the standard 100,000 vbytes',
  },
  BATCH_BUMP_IMPOSSIBLE: {
    exit: ExitCode.refused,
    http: 422,
    about:
      'a fee bump cannot take the higher fee from the same coins (no change left above dust, or not above the old fee by the relay increment)',
  },
  BATCH_TX_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a signed file is for another transaction than the batch it names',
  },
  SIGNATURE_MISSING: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a signed file carries no partial signature',
  },
  SIGNATURE_KEY_UNKNOWN: {
    exit: ExitCode.refused,
    http: 422,
    about: "a partial signature is by a key that is not a registered cosigner's key for its input",
  },
  SIGNATURE_INVALID: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a partial signature does not verify for its input of the batch, or is not strict DER with low S',
  },
  BROADCAST_REFUSED: {
    exit: ExitCode.refused,
    http: 502,
    about:
      "the node refused the transaction, or does not hold it after it was sent; details carry the node's reason",
  },

  // other wallets' formats: kura wallet import|export (src/artifacts/walletImport.ts, walletExport.ts)
  WALLET_IMPORT_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a Caravan or Coldcard/Sparrow wallet file has a missing or malformed field or line',
  },
  WALLET_IMPORT_UNSUPPORTED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the imported wallet is not one kura can represent: not P2WSH sortedmulti, or an unknown network',
  },

  // proof of reserves (BIP-127) and solvency: src/signer/reviewProof.ts, src/audit/reserves, src/audit/solvency
  PROOF_MESSAGE_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a proof-of-reserves message is empty, over 1,000 bytes, or holds control or direction characters',
  },
  PROOF_COMMITMENT_MISSING: {
    exit: ExitCode.refused,
    http: 422,
    about: "a reserves package's first input carries no PSBT_IN_POR_COMMITMENT (BIP-127)",
  },
  PROOF_COMMITMENT_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the first input is not SHA-256("Proof-of-Reserves: " + message):0 with an empty witness',
  },
  PROOF_COMMITMENT_UNEXPECTED: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a PSBT_IN_POR_COMMITMENT field on a withdrawal package, or on another input than the first',
  },
  PROOF_OUTPUT_INVALID: {
    exit: ExitCode.refused,
    http: 422,
    about:
      "a proof must have exactly one output, worth exactly its coins, paying one of the wallet's addresses",
  },
  PROOF_SIGNATURE_INVALID: {
    exit: ExitCode.refused,
    http: 422,
    about:
      "a proof input's signature does not verify or is not SIGHASH_ALL, or its witness does not spend its coin",
  },
  PROOF_SIGNATURES_MISSING: {
    exit: ExitCode.refused,
    http: 422,
    about: "a proof input has fewer valid signatures than the wallet's threshold",
  },
  PROOF_SIGNED_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a signed file is for another proof transaction than the package',
  },
  PROOF_BLOCK_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: "the block the proof names is not the node's block at that height, or the message names another",
  },
  PROOF_COIN_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about:
      "a proof's coin list disagrees with its transaction or with the node (value, block, or made after the block)",
  },
  PROOF_COIN_SPENT: {
    exit: ExitCode.refused,
    http: 422,
    about: "a coin of the proof was already spent at the proof's block",
  },
  PROOF_SCAN_LIMIT: {
    exit: ExitCode.refused,
    http: 422,
    about: 'a coin is spent now and finding its spend needs more blocks than --max-scan-blocks allows',
  },
  RESERVES_PROOF_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a reserves proof file has a missing or invalid field',
  },
  RESERVES_REPORT_INVALID: {
    exit: ExitCode.badInput,
    http: 400,
    about: 'a reserves verification report has a missing or invalid field',
  },
  RESERVES_NOT_SYNCED: {
    exit: ExitCode.conflict,
    http: 409,
    about: "the coordinator's scanned chain is empty or no longer the node's: sync before proving",
  },
  RESERVES_NO_COINS: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the coordinator knows no confirmed unspent coin of the wallet to prove',
  },
  SOLVENCY_INPUT_MISMATCH: {
    exit: ExitCode.refused,
    http: 422,
    about: 'the verification report is for another proof file than the one given',
  },

  // coin tracking (src/coordinator/sync.ts)
  COORDINATOR_SYNC_CONFLICT: {
    exit: ExitCode.conflict,
    http: 409,
    about: 'another sync of the same home changed the chain or the address window meanwhile; run sync again',
  },

  INTERNAL: { exit: ExitCode.internal, http: 500, about: 'a bug: kura did something it did not expect' },
} as const satisfies Record<string, { exit: ExitCode; http: number; about: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class KuraError extends Error {
  override readonly name = 'KuraError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isKuraError(value: unknown, code?: ErrorCode): value is KuraError {
  return value instanceof KuraError && (code === undefined || value.code === code);
}

/** Node's filesystem errors carry a string `code` such as ENOENT. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
