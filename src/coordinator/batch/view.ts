// What `kura batch list|show` and the HTTP API show of a batch, read from its stored PSBT: the
// coins it spends, the requests it pays, its change, its fee and who signed.
import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { readPackage } from '../../artifacts/kuraFields.js';
import { WalletDeriver } from '../../bitcoin/addresses.js';
import { CHANGE } from '../../bitcoin/descriptor.js';
import type { CoordinatorHome } from '../home.js';
import type { BatchRecord, BatchState } from '../store/index.js';
import { batchOrNotFound } from './broadcast.js';
import type { BatchChange, BatchInput, BatchPayment } from './build.js';
import { outpointsOf } from './psbt.js';

export interface BatchSummary {
  readonly batchId: string;
  readonly state: BatchState;
  readonly txid: string;
  readonly feeSat: bigint;
  readonly feeRateSatVb: number;
  readonly paymentsSat: bigint;
  readonly payments: number;
  readonly inputs: number;
  readonly replaces: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface BatchDetail extends Omit<BatchSummary, 'payments' | 'inputs'> {
  readonly inputs: readonly BatchInput[];
  readonly payments: readonly BatchPayment[];
  readonly change: BatchChange | null;
  /** Fingerprints of the cosigners whose signatures are stored. */
  readonly signedBy: readonly string[];
  readonly finalized: boolean;
}

function paymentsOf(psbt: Psbt): BatchPayment[] {
  const pkg = readPackage(psbt);
  return pkg.outputRequestIds.flatMap((id) => {
    const request = id === undefined ? undefined : pkg.requests.get(id);
    return request === undefined
      ? []
      : [{ requestId: request.requestId, destination: request.destination, amountSat: request.amountSat }];
  });
}

export function batchSummary(batch: BatchRecord): BatchSummary {
  const psbt = Psbt.fromBuffer(batch.psbt);
  const payments = paymentsOf(psbt);
  return {
    batchId: batch.batchId,
    state: batch.state,
    txid: batch.txid,
    feeSat: batch.feeSat,
    feeRateSatVb: batch.feeRateSatVb,
    paymentsSat: payments.reduce((sum, p) => sum + p.amountSat, 0n),
    payments: payments.length,
    inputs: psbt.inputCount,
    replaces: batch.replacesBatch,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

export function listBatchSummaries(home: CoordinatorHome, state?: BatchState): BatchSummary[] {
  return home.store.listBatches(state).map(batchSummary);
}

export function showBatch(home: CoordinatorHome, batchId: string): BatchDetail {
  const batch = batchOrNotFound(home.store, batchId);
  const psbt = Psbt.fromBuffer(batch.psbt);
  const pkg = readPackage(psbt);
  const deriver = new WalletDeriver(home.wallet.wallet);
  const inputs = outpointsOf(psbt).map((o, i) => {
    const coin = home.store.coin(o);
    return {
      outpoint: `${o.txid}:${o.vout}`,
      valueSat: psbt.data.inputs[i]?.witnessUtxo?.value ?? 0n,
      address: coin === undefined ? '' : deriver.derive(coin.branch, coin.addressIndex).address,
    };
  });
  let change: BatchChange | null = null;
  psbt.txOutputs.forEach((out, i) => {
    if (pkg.outputRequestIds[i] !== undefined) return;
    const address = home.store.addressByScript(bytesToHex(out.script));
    if (address?.branch === CHANGE) {
      change = {
        index: address.addressIndex,
        address: deriver.derive(CHANGE, address.addressIndex).address,
        valueSat: out.value,
      };
    }
  });
  const summary = batchSummary(batch);
  return {
    batchId: summary.batchId,
    state: summary.state,
    txid: summary.txid,
    feeSat: summary.feeSat,
    feeRateSatVb: summary.feeRateSatVb,
    paymentsSat: summary.paymentsSat,
    replaces: summary.replaces,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    inputs,
    payments: paymentsOf(psbt),
    change,
    signedBy: home.store.batchSignatures(batchId).map((s) => s.fingerprint),
    finalized: batch.finalTx !== null,
  };
}

/** The stored signing package (binary BIP-174), as built: GET /v1/batches/{id}/psbt. */
export function batchPsbt(home: CoordinatorHome, batchId: string): Uint8Array {
  return batchOrNotFound(home.store, batchId).psbt;
}
