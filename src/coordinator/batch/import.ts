// `kura batch import`: signed files come back from the signers. Each file is matched to its
// batch by the txid of its unsigned transaction — the only identity a signature commits to — and
// every partial signature in it is checked (./signatures.ts). A file is taken whole or refused
// whole, with a code; one bad file does not stop the others. Accepted signatures are stored per
// cosigner; once every input has the wallet's threshold, the batch is finalized: the network
// transaction is extracted and stored, and from then on exactly those bytes are broadcast.
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { KuraError, isKuraError, type ErrorCode } from '../../errors.js';
import { decodePsbt } from '../../artifacts/psbtFile.js';
import { GlobalSubtype, parseProprietaryKey } from '../../artifacts/kuraFields.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import type { BatchRecord, BatchState } from '../store/index.js';
import { finalizeBatch, inputsReady, storedSignatures } from './finalize.js';
import { unsignedTx } from './psbt.js';
import { verifySignatures } from './signatures.js';
import { advanceRequest, requestsOf } from './states.js';

export interface CosignerImport {
  readonly fingerprint: string;
  /** Inputs this cosigner signed in the file. */
  readonly signatures: number;
  /** False when this cosigner's signatures for the batch were already stored (kept as they were). */
  readonly added: boolean;
}

export interface FileImport {
  /** Position of the file in the call (the CLI maps it back to its path). */
  readonly index: number;
  readonly batchId: string | null;
  readonly txid: string | null;
  readonly cosigners: readonly CosignerImport[];
  readonly refusal: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details: Record<string, unknown>;
  } | null;
}

export interface BatchProgress {
  readonly batchId: string;
  readonly state: BatchState;
  readonly txid: string;
  readonly threshold: number;
  /** Fingerprints of the cosigners whose signatures are stored. */
  readonly cosigners: readonly string[];
  readonly inputs: number;
  /** Inputs with at least `threshold` signatures. */
  readonly inputsReady: number;
  /** Set once finalized: the network transaction's size and its real fee rate. */
  readonly final: { readonly vsize: number; readonly feeRateSatVb: string } | null;
}

export interface ImportReport {
  readonly files: readonly FileImport[];
  readonly batches: readonly BatchProgress[];
}

/** The batch id a file names (a kura signer's receipt, or a package header), for messages only. */
function namedBatchId(psbt: Psbt): string | null {
  for (const { key, value } of psbt.data.globalMap.unknownKeyVals ?? []) {
    let subtype: number | undefined;
    try {
      subtype = parseProprietaryKey(key)?.subtype;
    } catch {
      continue;
    }
    if (subtype !== GlobalSubtype.receipt && subtype !== GlobalSubtype.header) continue;
    try {
      const o = JSON.parse(Buffer.from(value).toString('utf8')) as { batchId?: unknown };
      if (typeof o.batchId === 'string' && /^[0-9A-Za-z_-]{1,64}$/.test(o.batchId)) return o.batchId;
    } catch {
      // a malformed field names nothing
    }
  }
  return null;
}

const TAKES_SIGNATURES: readonly BatchState[] = ['built', 'signed', 'finalized', 'broadcast', 'confirmed'];

/** The live batch with this file's transaction, or the refusal that says why there is none. */
function batchForFile(home: CoordinatorHome, txid: string, named: string | null): BatchRecord {
  const { store } = home;
  const candidates = store.batchesByTxid(txid);
  const live = candidates.find((b) => TAKES_SIGNATURES.includes(b.state));
  if (live !== undefined) return live;
  const dead = candidates[0];
  if (dead !== undefined) {
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `batch ${dead.batchId} (transaction ${txid}) is ${dead.state}; it takes no signatures`,
      { field: 'batchId', batchId: dead.batchId, state: dead.state },
    );
  }
  const namedBatch = named === null ? undefined : store.batchById(named);
  if (namedBatch !== undefined) {
    throw new KuraError(
      'BATCH_TX_MISMATCH',
      `the file names batch ${namedBatch.batchId} but is signed for transaction ${txid}; the batch is transaction ${namedBatch.txid}`,
      { field: 'txid', batchId: namedBatch.batchId, txid, expected: namedBatch.txid },
    );
  }
  throw new KuraError(
    'COORDINATOR_NOT_FOUND',
    named === null
      ? `no batch has transaction ${txid}`
      : `no batch has "batchId" ${named} (the file is signed for transaction ${txid})`,
    { field: 'batchId', batchId: named, txid },
  );
}

function importOne(
  home: CoordinatorHome,
  bytes: Uint8Array,
  index: number,
  touched: Set<string>,
): FileImport {
  let batchId: string | null = null;
  let txid: string | null = null;
  try {
    const file = decodePsbt(bytes);
    txid = unsignedTx(file).getId();
    const named = namedBatchId(file);
    batchId = named;
    const batch = batchForFile(home, txid, named);
    batchId = batch.batchId;
    const verified = verifySignatures(Psbt.fromBuffer(batch.psbt), file);
    if (verified.size === 0) {
      throw new KuraError(
        'SIGNATURE_MISSING',
        `the file for batch ${batch.batchId} carries no partial signature (import the signer's .signed.psbt, not the package or a finalized file)`,
        { field: 'partialSig', batchId: batch.batchId },
      );
    }
    const stored = new Set(home.store.batchSignatures(batch.batchId).map((s) => s.fingerprint));
    const canonical = file.toBuffer();
    const cosigners = home.store.atomically(() =>
      [...verified].map(([fingerprint, signatures]) => {
        const added =
          !stored.has(fingerprint) &&
          home.store.addBatchSignature({ batchId: batch.batchId, fingerprint, psbt: canonical }).added;
        return { fingerprint, signatures: signatures.length, added };
      }),
    );
    if (cosigners.some((c) => c.added)) faultPoint('signature-imported');
    touched.add(batch.batchId);
    return { index, batchId, txid, cosigners, refusal: null };
  } catch (error) {
    if (!isKuraError(error)) throw error;
    return {
      index,
      batchId,
      txid,
      cosigners: [],
      refusal: { code: error.code, message: error.message, details: error.details },
    };
  }
}

/**
 * Finalizes the batch if every input has the threshold of signatures, or marks it 'signed' when
 * it has some: one transaction for the batch, its final bytes and its requests. A batch already
 * finalized keeps its transaction: later signatures never change the bytes to broadcast.
 */
export function finalizeIfReady(home: CoordinatorHome, batchId: string): BatchProgress {
  const { store } = home;
  const batch = store.batchById(batchId);
  if (batch === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${batchId}`, {
      field: 'batchId',
      batchId,
    });
  }
  const threshold = home.wallet.wallet.threshold;
  const rows = store.batchSignatures(batchId);
  const signatures = storedSignatures(batch, rows);
  const ready = inputsReady(signatures, threshold);
  let current = batch;
  if (batch.state === 'built' || batch.state === 'signed') {
    if (ready === signatures.length) {
      const tx = finalizeBatch(batch, signatures, threshold);
      current = store.atomically(() => {
        const finalized = store.setBatchState(batchId, 'finalized', {
          from: batch.state,
          finalTx: tx.toBuffer(),
          reason: `${rows.length} cosigners signed; every input has ${threshold} signatures`,
        });
        for (const requestId of requestsOf(store, batchId)) {
          advanceRequest(store, requestId, 'signed', batchId, `batch ${batchId} finalized`);
        }
        return finalized;
      });
      faultPoint('finalized');
    } else if (batch.state === 'built' && rows.length > 0) {
      current = store.setBatchState(batchId, 'signed', {
        from: 'built',
        reason: `signatures from ${rows.map((r) => r.fingerprint).join(', ')}; ${ready} of ${signatures.length} inputs complete`,
      });
    }
  }
  return progressOf(
    current,
    rows.map((r) => r.fingerprint),
    threshold,
    signatures.length,
    ready,
  );
}

function progressOf(
  batch: BatchRecord,
  cosigners: readonly string[],
  threshold: number,
  inputs: number,
  ready: number,
): BatchProgress {
  let final: BatchProgress['final'] = null;
  if (batch.finalTx !== null) {
    const vsize = Transaction.fromBuffer(batch.finalTx).virtualSize();
    final = { vsize, feeRateSatVb: (Number(batch.feeSat) / vsize).toFixed(2) };
  }
  return {
    batchId: batch.batchId,
    state: batch.state,
    txid: batch.txid,
    threshold,
    cosigners,
    inputs,
    inputsReady: ready,
    final,
  };
}

/** Imports signed files (binary or base64 PSBTs); see the file comment. */
export function importSignedPsbts(
  home: CoordinatorHome,
  files: readonly Uint8Array[],
  now?: number,
): ImportReport {
  void now; // the store's own clock dates every row and audit entry
  const touched = new Set<string>();
  const results = files.map((bytes, index) => importOne(home, bytes, index, touched));
  const batches = [...touched].map((batchId) => finalizeIfReady(home, batchId));
  return { files: results, batches };
}
