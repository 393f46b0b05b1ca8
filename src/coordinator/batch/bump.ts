// `kura batch bump`: a replacement for a batch whose transaction is stuck. It spends exactly the
// same coins, pays exactly the same requests (same outputs, same order) and takes the extra fee
// from the change, and its header declares `bumps: <old txid>` — the only conflict a signer's
// ledger lets it sign (src/signer/checks/ledger.ts). The node replaces the old transaction only if
// the new one pays more in total and at least the incremental relay fee for its own size (BIP-125
// rules 3 and 4); a bump that could not is refused here, before anyone signs it.
//
// The original stays as it is until the bump is broadcast: its requests and coin locks follow the
// transaction the node holds (./broadcast.ts moves them, and marks the original 'replaced').
import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import { WalletDeriver } from '../../bitcoin/addresses.js';
import { CHANGE } from '../../bitcoin/descriptor.js';
import { buildSigningPackage, type PackageCoin } from '../../artifacts/buildPackage.js';
import { readPackage } from '../../artifacts/kuraFields.js';
import { evaluateFee } from '../../policy/fee.js';
import { refusalError } from '../../policy/evaluate.js';
import type { RpcClient } from '../../chain/rpcClient.js';
import type { CoordinatorHome } from '../home.js';
import type { BatchRecord, Store } from '../store/index.js';
import { batchOrNotFound, blockHintOf } from './broadcast.js';
import { newBatchId, prepareOutDir, writeStoredBatch, type BuiltBatch } from './build.js';
import { reviewApproved } from './eligible.js';
import { locateTransaction } from './locate.js';
import { checkFeeRate } from './feeRate.js';
import { outpointsOf, txidOfHash, unsignedTx } from './psbt.js';
import { P2WSH_DUST_SAT } from './select.js';
import { spendVsize } from './size.js';

/** Bitcoin Core's -incrementalrelayfee (1 sat/vB): a replacement pays at least this for its own size. */
export const INCREMENTAL_RELAY_SAT_VB = 1n;

export interface BumpedBatch extends BuiltBatch {
  readonly replaces: string;
  readonly replacesTxid: string;
  readonly oldFeeSat: bigint;
  readonly oldFeeRateSatVb: number;
}

const BUMPABLE = ['signed', 'finalized', 'broadcast'] as const;

function impossible(message: string, details: Record<string, unknown>): KuraError {
  return new KuraError('BATCH_BUMP_IMPOSSIBLE', message, { field: 'fee-rate', ...details });
}

function checkBumpable(store: Store, original: BatchRecord): void {
  if (!(BUMPABLE as readonly string[]).includes(original.state)) {
    const hint =
      original.state === 'built'
        ? 'nobody has signed it yet: cancel it and build again at the new rate'
        : 'its transaction can no longer be replaced';
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `batch ${original.batchId} is ${original.state}: ${hint}`,
      {
        field: 'state',
        batchId: original.batchId,
        state: original.state,
      },
    );
  }
  const pending = store
    .listBatches()
    .find((b) => b.replacesBatch === original.batchId && ['built', 'signed', 'finalized'].includes(b.state));
  if (pending !== undefined) {
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `batch ${pending.batchId} (${pending.state}) already bumps ${original.batchId}: broadcast or cancel it first`,
      { field: 'batchId', batchId: original.batchId, pending: pending.batchId },
    );
  }
}

export async function bumpBatch(
  home: CoordinatorHome,
  client: RpcClient,
  batchId: string,
  feeRateSatVb: number,
  outDir: string,
  now: number = Math.floor(Date.now() / 1000),
): Promise<BumpedBatch> {
  const { store, wallet, policy } = home;
  const original = batchOrNotFound(store, batchId);
  checkBumpable(store, original);
  if (original.state === 'broadcast') {
    const located = await locateTransaction(client, original.txid, blockHintOf(store, original));
    if (located.where === 'block') {
      throw new KuraError(
        'COORDINATOR_STATE_CONFLICT',
        `batch ${batchId}'s transaction is already in block ${located.blockHash}: nothing to bump (kura batch follow records it)`,
        { field: 'state', batchId, blockHash: located.blockHash },
      );
    }
  }
  const rate = checkFeeRate(policy.policy, feeRateSatVb);
  if (rate <= original.feeRateSatVb) {
    throw impossible(`"fee-rate" ${rate} sat/vB is not above the batch's ${original.feeRateSatVb} sat/vB`, {
      rate,
      oldRate: original.feeRateSatVb,
    });
  }
  prepareOutDir(outDir);

  const old = Psbt.fromBuffer(original.psbt);
  const pkg = readPackage(old);
  const deriver = new WalletDeriver(wallet.wallet);
  const coins: PackageCoin[] = old.data.inputs.map((input, i) => {
    const txIn = old.txInputs[i];
    const coin =
      txIn === undefined ? undefined : store.coin({ txid: txidOfHash(txIn.hash), vout: txIn.index });
    if (txIn === undefined || coin === undefined || input.nonWitnessUtxo === undefined) {
      throw new KuraError(
        'STORE_CORRUPT',
        `batch ${batchId} input ${i} is not a stored coin with its previous transaction`,
        {
          field: 'inputs',
          batchId,
        },
      );
    }
    return {
      previousTx: input.nonWitnessUtxo,
      vout: txIn.index,
      branch: coin.branch,
      index: coin.addressIndex,
    };
  });

  // The same requests, checked again: a signer re-checks their approvals at the time it signs.
  const requestIds = pkg.outputRequestIds.filter((id): id is string => id !== undefined);
  const records = requestIds.map((id) => {
    const record = store.requestById(id);
    if (record === undefined)
      throw new KuraError('STORE_CORRUPT', `batch ${batchId} pays an unknown request ${id}`);
    return record;
  });
  const review = reviewApproved(store, wallet, policy, records, now);
  const refused = review.skipped[0];
  if (refused !== undefined) throw refusalError(refused.reasons, { requestId: refused.requestId });

  const changeIndex = old.txOutputs.findIndex((_, i) => pkg.outputRequestIds[i] === undefined);
  const changeOut = old.txOutputs[changeIndex];
  const changeAddress =
    changeOut === undefined ? undefined : store.addressByScript(bytesToHex(changeOut.script));
  if (changeOut === undefined || changeAddress === undefined || changeAddress.branch !== CHANGE) {
    throw impossible(
      `batch ${batchId} has no change output to take a higher fee from; the same coins cannot pay more`,
      {
        batchId,
      },
    );
  }
  const vsize = spendVsize({
    threshold: wallet.wallet.threshold,
    witnessScriptLength: deriver.derive(0, 0).witnessScript.length,
    inputCount: coins.length,
    outputScriptLengths: old.txOutputs.map((o) => o.script.length),
  });
  const feeSat = BigInt(rate) * BigInt(vsize);
  const minimumSat = original.feeSat + INCREMENTAL_RELAY_SAT_VB * BigInt(vsize);
  if (feeSat < minimumSat) {
    const minRate = (minimumSat + BigInt(vsize) - 1n) / BigInt(vsize);
    throw impossible(
      `at ${rate} sat/vB the fee is ${feeSat} sats; a replacement must pay at least ${minimumSat} (the old ${original.feeSat} plus ${INCREMENTAL_RELAY_SAT_VB} sat/vB of its own size): use --fee-rate ${minRate} or more`,
      { feeSat, minimumSat, minRate: Number(minRate) },
    );
  }
  const changeSat = changeOut.value - (feeSat - original.feeSat);
  if (changeSat < P2WSH_DUST_SAT) {
    throw impossible(
      `at ${rate} sat/vB the change would be ${changeSat} sats, below the dust limit of ${P2WSH_DUST_SAT}: the same coins cannot pay this fee`,
      { changeSat },
    );
  }
  const paymentsSat = records.reduce((sum, r) => sum + r.amountSat, 0n);
  const feeReasons = evaluateFee(policy.policy, { feeSat, vsize, paymentsSat });
  if (feeReasons.length > 0) throw refusalError(feeReasons, { feeSat: feeSat.toString(), vsize });

  const approvals = review.eligible.flatMap((e) => e.approvals);
  const requests = review.eligible.map((e) => e.request);
  const bumpId = newBatchId(now);
  const psbt = buildSigningPackage(
    {
      wallet: wallet.wallet,
      header: {
        version: 1,
        purpose: 'withdrawal',
        batchId: bumpId,
        walletId: wallet.id,
        policyHash: policy.policyHash,
        bumps: original.txid,
      },
      coins,
      requests,
      approvals,
      change: { index: changeAddress.addressIndex, valueSat: changeSat },
      locktime: old.locktime,
    },
    deriver,
  );
  const bytes = psbt.toBuffer();
  const txid = unsignedTx(psbt).getId();
  store.insertBatch({
    batchId: bumpId,
    psbt: bytes,
    txid,
    feeSat,
    feeRateSatVb: rate,
    replacesBatch: original.batchId,
  });
  const path = writeStoredBatch(outDir, bumpId, bytes);
  return {
    batchId: bumpId,
    txid,
    path,
    feeSat,
    feeRateSatVb: rate,
    feeRateSource: 'flag',
    vsize,
    inputs: outpointsOf(psbt).map((o, i) => {
      const coin = coins[i] as PackageCoin;
      return {
        outpoint: `${o.txid}:${o.vout}`,
        valueSat: (old.data.inputs[i]?.witnessUtxo?.value ?? 0n) as bigint,
        address: deriver.derive(coin.branch, coin.index).address,
      };
    }),
    payments: requests.map((r) => ({
      requestId: r.requestId,
      destination: r.destination,
      amountSat: r.amountSat,
    })),
    change: {
      index: changeAddress.addressIndex,
      address: deriver.derive(CHANGE, changeAddress.addressIndex).address,
      valueSat: changeSat,
    },
    replaces: original.batchId,
    replacesTxid: original.txid,
    oldFeeSat: original.feeSat,
    oldFeeRateSatVb: original.feeRateSatVb,
  };
}
