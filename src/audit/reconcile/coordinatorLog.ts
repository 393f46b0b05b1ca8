// What reconcile needs from the coordinator's audit log, read entry by entry after the chain was
// verified. The entry types and their data are written by src/coordinator/store (see
// docs/coordinator-store.md); only the fields used here are checked, each naming its entry.
//
//   coordinator.init   walletId, network, descriptor   → threshold M and the cosigners' fingerprints
//   request.create     requestId, amountSat            → the requests the coordinator took in
//   request.state      requestId, to, batchId          → approved (quorum met), batched into a batch
//   batch.build        batchId, txid, replacesBatch?   → the transaction a batch is
//   batch.signature    batchId, fingerprint            → a cosigner's signed file received
//   batch.state        batchId, to                     → finalized, broadcast, …
//   reserves.prove     batchId, txid                   → a proof-of-reserves package built
import type { ChainEntry } from '../../artifacts/hashChain.js';
import { parseMultisigDescriptor, walletId as walletIdOf } from '../../bitcoin/descriptor.js';
import { NETWORK_NAMES, type NetworkName } from '../../bitcoin/networks.js';
import { KuraError } from '../../errors.js';

export interface LoggedRequest {
  readonly requestId: string;
  readonly amountSat: string;
  /** Position of the entry that first moved it to 'approved'. */
  approvedAt?: number;
  /** batchId → position of the first entry that put it into that batch. */
  readonly batchedAt: Map<string, number>;
}

export interface LoggedBatch {
  readonly batchId: string;
  readonly txid: string;
  readonly replacesBatch?: string;
  readonly builtAt: number;
  /** Fingerprints of the cosigners whose signed files the coordinator stored, with positions. */
  readonly signedFiles: Map<string, number>;
  /** Position of the first move to 'broadcast'. */
  broadcastAt?: number;
}

export interface CoordinatorLogIndex {
  readonly walletId: string;
  readonly network: NetworkName;
  readonly threshold: number;
  /** The wallet's cosigners' master key fingerprints, as the descriptor names them. */
  readonly cosigners: readonly string[];
  readonly requests: Map<string, LoggedRequest>;
  readonly batches: Map<string, LoggedBatch>;
  /** Proof-of-reserves packages built: batchId → txid of the proof transaction. */
  readonly proofs: Map<string, string>;
}

const HEX32 = /^[0-9a-f]{64}$/;

class EntryReader {
  constructor(private readonly entry: ChainEntry) {}

  private get data(): Record<string, unknown> {
    const d = this.entry.data;
    if (typeof d !== 'object' || d === null || Array.isArray(d)) throw this.fail('data', 'is not an object');
    return d as Record<string, unknown>;
  }

  fail(field: string, why: string): KuraError {
    return new KuraError(
      'AUDIT_LOG_MALFORMED',
      `log entry ${this.entry.seq} (${this.entry.type}) "${field}" ${why}`,
      { position: this.entry.seq, field },
    );
  }

  text(field: string, pattern = /^.{1,200}$/s): string {
    const v = this.data[field];
    if (typeof v !== 'string' || !pattern.test(v)) throw this.fail(field, 'is missing or malformed');
    return v;
  }

  optionalText(field: string, pattern?: RegExp): string | undefined {
    return this.data[field] === undefined ? undefined : this.text(field, pattern);
  }
}

function initOf(
  entry: ChainEntry | undefined,
): Pick<CoordinatorLogIndex, 'walletId' | 'network' | 'threshold' | 'cosigners'> {
  if (entry === undefined || entry.type !== 'coordinator.init') {
    throw new KuraError(
      'ARTIFACT_INVALID',
      `"log" is not a coordinator audit log: its first entry is ${entry === undefined ? 'missing' : `"${entry.type}"`}, not "coordinator.init"`,
      { field: 'log' },
    );
  }
  const read = new EntryReader(entry);
  const network = read.text('network');
  if (!(NETWORK_NAMES as readonly string[]).includes(network))
    throw read.fail('network', 'is not a network kura knows');
  const walletId = read.text('walletId', HEX32);
  const descriptor = read.text('descriptor', /^.{1,10000}$/s);
  const { wallet } = parseMultisigDescriptor(descriptor, network as NetworkName);
  if (walletIdOf(wallet) !== walletId) {
    throw new KuraError(
      'WALLET_ID_MISMATCH',
      `log entry 1 names wallet ${walletId} but its descriptor is another wallet`,
      {
        field: 'walletId',
        position: 1,
      },
    );
  }
  return {
    walletId,
    network: network as NetworkName,
    threshold: wallet.threshold,
    cosigners: wallet.keys.map((k) => k.origin.fingerprint),
  };
}

export function indexCoordinatorLog(chain: readonly ChainEntry[]): CoordinatorLogIndex {
  const index: CoordinatorLogIndex = {
    ...initOf(chain[0]),
    requests: new Map(),
    batches: new Map(),
    proofs: new Map(),
  };
  const batchOf = (read: EntryReader, batchId: string): LoggedBatch => {
    const batch = index.batches.get(batchId);
    if (batch === undefined)
      throw read.fail('batchId', `names batch ${batchId}, which no earlier batch.build made`);
    return batch;
  };
  for (const entry of chain) {
    const read = new EntryReader(entry);
    switch (entry.type) {
      case 'request.create': {
        const requestId = read.text('requestId', HEX32);
        index.requests.set(requestId, {
          requestId,
          amountSat: read.text('amountSat', /^[0-9]{1,30}$/),
          batchedAt: new Map(),
        });
        break;
      }
      case 'request.state': {
        const request = index.requests.get(read.text('requestId', HEX32));
        if (request === undefined) break; // the store refuses this; nothing for reconcile to use
        const to = read.text('to');
        if (to === 'approved') request.approvedAt ??= entry.seq;
        const batchId = read.optionalText('batchId');
        if (batchId !== undefined && to === 'batched' && !request.batchedAt.has(batchId))
          request.batchedAt.set(batchId, entry.seq);
        break;
      }
      case 'batch.build': {
        const batchId = read.text('batchId');
        const replacesBatch = read.optionalText('replacesBatch');
        index.batches.set(batchId, {
          batchId,
          txid: read.text('txid', HEX32),
          ...(replacesBatch === undefined ? {} : { replacesBatch }),
          builtAt: entry.seq,
          signedFiles: new Map(),
        });
        break;
      }
      case 'batch.signature': {
        const batch = batchOf(read, read.text('batchId'));
        const fingerprint = read.text('fingerprint', /^[0-9a-f]{8}$/);
        if (!batch.signedFiles.has(fingerprint)) batch.signedFiles.set(fingerprint, entry.seq);
        break;
      }
      case 'batch.state': {
        const batch = batchOf(read, read.text('batchId'));
        if (read.text('to') === 'broadcast') batch.broadcastAt ??= entry.seq;
        break;
      }
      case 'reserves.prove':
        index.proofs.set(read.text('batchId'), read.text('txid', HEX32));
        break;
      default:
        break;
    }
  }
  return index;
}
