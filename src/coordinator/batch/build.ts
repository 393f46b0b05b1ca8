// `kura batch build`: approved requests become signing packages. Each request is checked again
// against the policy and its approvals; the eligible ones are split into batches within the fee
// caps; coins are chosen; and each batch — the PSBT, its coins locked to it, its requests moved to
// 'batched', its change address handed out — is stored in one transaction, then written to
// `<batchId>.psbt` atomically. Nothing is ever half-built: a batch is in the store whole or not at all.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { KuraError, isKuraError } from '../../errors.js';
import { WalletDeriver } from '../../bitcoin/addresses.js';
import { CHANGE } from '../../bitcoin/descriptor.js';
import { buildSigningPackage } from '../../artifacts/buildPackage.js';
import type { FeeEstimate, RpcClient } from '../../chain/rpcClient.js';
import { isoTime } from '../../policy/evaluate.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import type { CoinRecord } from '../store/index.js';
import { issueChangeAddress, previousTransactions, spendableCoins } from './coins.js';
import { reviewApproved, type SkippedRequest } from './eligible.js';
import {
  chooseFeeRate,
  DEFAULT_CONF_TARGET_BLOCKS,
  type FeeRateChoice,
  type FeeRateSource,
} from './feeRate.js';
import { planBatches, type PlannedBatch } from './plan.js';
import { outpointsOf, unsignedTx, writeBatchFile } from './psbt.js';

export interface BuildOptions {
  /** Folder for the `<batchId>.psbt` files (made if missing). */
  readonly outDir: string;
  /** The operator's fee rate; otherwise the node's estimate (or the fallback) within the policy. */
  readonly feeRateSatVb?: number;
  /** Used when the node has no estimate; FALLBACK_FEE_RATE_SAT_VB unless given. */
  readonly fallbackFeeRateSatVb?: number;
  /** Unix seconds; the policy and the approvals are judged at this time. */
  readonly now?: number;
}

export interface BatchInput {
  readonly outpoint: string;
  readonly valueSat: bigint;
  readonly address: string;
}

export interface BatchPayment {
  readonly requestId: string;
  readonly destination: string;
  readonly amountSat: bigint;
}

export interface BatchChange {
  readonly index: number;
  readonly address: string;
  readonly valueSat: bigint;
}

export interface BuiltBatch {
  readonly batchId: string;
  /** The transaction id, fixed now: segwit txids do not depend on the signatures. */
  readonly txid: string;
  /** Where `<batchId>.psbt` was written. */
  readonly path: string;
  readonly feeSat: bigint;
  /** The target rate; the real rate is at least this (the size is counted at its largest). */
  readonly feeRateSatVb: number;
  readonly feeRateSource: FeeRateSource;
  /** Upper bound of the signed size, vbytes. */
  readonly vsize: number;
  readonly inputs: readonly BatchInput[];
  readonly payments: readonly BatchPayment[];
  readonly change: BatchChange | null;
  /** Set on a fee bump: the batch whose transaction this one replaces. */
  readonly replaces?: string;
}

export interface BuildReport {
  readonly batches: readonly BuiltBatch[];
  /** Approved requests left out, with every reason (expired ones are now 'expired'). */
  readonly skipped: readonly SkippedRequest[];
  /** null when nothing was eligible (the node was not asked). */
  readonly feeRate: FeeRateChoice | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `b<yyyymmdd>-<8 hex>`: sorts by day, unique by its random part, fits the PSBT header. */
export function newBatchId(now: number): string {
  const day = new Date(now * 1000).toISOString().slice(0, 10).replaceAll('-', '');
  return `b${day}-${randomBytes(4).toString('hex')}`;
}

async function askEstimate(client: RpcClient): Promise<FeeEstimate | undefined> {
  try {
    return await client.estimateSmartFee(DEFAULT_CONF_TARGET_BLOCKS);
  } catch (error) {
    // A node without fee data may answer an error instead of an empty estimate: fall back.
    if (isKuraError(error, 'NODE_RPC_ERROR')) return undefined;
    throw error;
  }
}

/** Prepares the output folder before anything is stored, so a bad --out changes nothing. */
export function prepareOutDir(outDir: string): void {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new KuraError(
      'FILE_WRITE_FAILED',
      `cannot make the folder "out" ${outDir}`,
      { field: 'out', path: outDir },
      cause,
    );
  }
}

/** Writes a stored batch's file; a failure says the batch is kept and how to write it again. */
export function writeStoredBatch(outDir: string, batchId: string, psbt: Uint8Array): string {
  try {
    return writeBatchFile(outDir, batchId, psbt);
  } catch (error) {
    if (!isKuraError(error)) throw error;
    throw new KuraError(
      error.code,
      `${error.message}; batch ${batchId} is stored: write its file with kura batch show --home HOME ${batchId} --out DIR`,
      { ...error.details, batchId },
      error,
    );
  }
}

interface Committed {
  readonly batch: BuiltBatch;
  readonly psbt: Uint8Array;
}

function commitBatch(
  home: CoordinatorHome,
  deriver: WalletDeriver,
  planned: PlannedBatch<CoinRecord>,
  previous: ReadonlyMap<string, Uint8Array>,
  feeRate: FeeRateChoice,
  tipHeight: number,
  now: number,
): Committed {
  const { store, wallet, policy } = home;
  const { selection } = planned;
  return store.atomically(() => {
    const batchId = newBatchId(now);
    const changeAddress = selection.changeSat === null ? undefined : issueChangeAddress(store, deriver);
    const requests = planned.requests.map((r) => r.request);
    const psbt = buildSigningPackage(
      {
        wallet: wallet.wallet,
        header: {
          version: 1,
          purpose: 'withdrawal',
          batchId,
          walletId: wallet.id,
          policyHash: policy.policyHash,
        },
        coins: selection.coins.map((c) => ({
          previousTx: previous.get(c.txid) as Uint8Array,
          vout: c.vout,
          branch: c.branch,
          index: c.addressIndex,
        })),
        requests,
        approvals: planned.requests.flatMap((r) => r.approvals),
        ...(changeAddress === undefined || selection.changeSat === null
          ? {}
          : { change: { index: changeAddress.addressIndex, valueSat: selection.changeSat } }),
        // Anti fee sniping, as Bitcoin Core does: valid from the next block on, not before.
        locktime: tipHeight,
      },
      deriver,
    );
    const bytes = psbt.toBuffer();
    const txid = unsignedTx(psbt).getId();
    store.insertBatch({ batchId, psbt: bytes, txid, feeSat: selection.feeSat, feeRateSatVb: feeRate.satVb });
    store.lockCoins(batchId, outpointsOf(psbt));
    for (const r of planned.requests) {
      store.setRequestState(r.record.requestId, 'batched', {
        from: 'approved',
        batchId,
        reason: `batched in ${batchId} (${txid})`,
      });
    }
    const batch: BuiltBatch = {
      batchId,
      txid,
      path: '',
      feeSat: selection.feeSat,
      feeRateSatVb: feeRate.satVb,
      feeRateSource: feeRate.source,
      vsize: selection.vsize,
      inputs: selection.coins.map((c) => ({
        outpoint: `${c.txid}:${c.vout}`,
        valueSat: c.valueSat,
        address: deriver.derive(c.branch, c.addressIndex).address,
      })),
      payments: requests.map((r) => ({
        requestId: r.requestId,
        destination: r.destination,
        amountSat: r.amountSat,
      })),
      change:
        changeAddress === undefined || selection.changeSat === null
          ? null
          : {
              index: changeAddress.addressIndex,
              address: deriver.derive(CHANGE, changeAddress.addressIndex).address,
              valueSat: selection.changeSat,
            },
    };
    return { batch, psbt: bytes };
  });
}

/** buildBatches with everything the operator should be told: skipped requests and the fee rate. */
export async function buildBatchesWithReport(
  home: CoordinatorHome,
  client: RpcClient,
  options: BuildOptions,
): Promise<BuildReport> {
  const now = options.now ?? nowSeconds();
  prepareOutDir(options.outDir);
  const { store } = home;
  const review = reviewApproved(
    store,
    home.wallet,
    home.policy,
    store.listRequests({ state: 'approved', limit: 100_000 }),
    now,
  );
  for (const skip of review.skipped) {
    if (!skip.expired) continue;
    const record = store.requestById(skip.requestId);
    store.setRequestState(skip.requestId, 'expired', {
      from: 'approved',
      reason: `expired at ${isoTime(record?.expiresAt ?? now)} before it was batched`,
    });
  }
  if (review.eligible.length === 0) return { batches: [], skipped: review.skipped, feeRate: null };

  const estimate = options.feeRateSatVb === undefined ? await askEstimate(client) : undefined;
  const feeRate = chooseFeeRate(
    home.policy.policy,
    { feeRateSatVb: options.feeRateSatVb, fallbackSatVb: options.fallbackFeeRateSatVb },
    estimate,
  );
  const tipHeight = await client.getBlockCount();
  const deriver = new WalletDeriver(home.wallet.wallet);
  const plan = planBatches(review.eligible, spendableCoins(store, tipHeight), {
    policy: home.policy.policy,
    feeRateSatVb: feeRate.satVb,
    threshold: home.wallet.wallet.threshold,
    witnessScriptLength: deriver.derive(0, 0).witnessScript.length,
  });
  const previous = await previousTransactions(
    client,
    plan.batches.flatMap((b) => b.selection.coins),
    deriver,
  );

  const batches: BuiltBatch[] = [];
  for (const planned of plan.batches) {
    const { batch, psbt } = commitBatch(home, deriver, planned, previous, feeRate, tipHeight, now);
    faultPoint('batch-built');
    faultPoint('coins-locked'); // locked in the same transaction as the batch
    batches.push({ ...batch, path: writeStoredBatch(options.outDir, batch.batchId, psbt) });
  }
  return { batches, skipped: [...review.skipped, ...plan.skipped], feeRate };
}

/** Builds and stores batches for every approved request that may be paid now. */
export async function buildBatches(
  home: CoordinatorHome,
  client: RpcClient,
  options: BuildOptions,
): Promise<BuiltBatch[]> {
  return [...(await buildBatchesWithReport(home, client, options)).batches];
}
