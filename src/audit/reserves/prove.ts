// `kura audit reserves prove`, on the coordinator: the proof-of-reserves package for the block the
// coordinator has scanned to. Its coins are every coin of the wallet the store knows unspent at
// that block, each with its full creating transaction read from the node (the signers re-check
// them as they do for a withdrawal); the message names the custodian's text and the block.
import { KuraError } from '../../errors.js';
import { writeFileAtomic } from '../../artifacts/atomicWrite.js';
import { buildProofPackage } from '../../artifacts/buildProof.js';
import type { PackageCoin } from '../../artifacts/buildPackage.js';
import { unsignedTransaction } from '../../signer/produceSignatures.js';
import type { RpcClient } from '../../chain/rpcClient.js';
import { openCoordinatorHome, type CoordinatorHome } from '../../coordinator/home.js';
import { connectNode } from '../../coordinator/node.js';
import type { BlockRecord, CoinRecord } from '../../coordinator/store/index.js';
import { BlockReader } from './chainReads.js';
import { reserveCoins } from './coins.js';
import { proofMessage, type ProofBlock } from './message.js';

export interface ProveOptions {
  readonly home: string;
  /** Who the custodian is, and any challenge the auditor asked for; kura appends the block. */
  readonly text: string;
  /** Where the package (a binary PSBT) is written; never overwritten. */
  readonly out: string;
}

export interface ProveResult {
  readonly out: string;
  readonly batchId: string;
  readonly txid: string;
  readonly message: string;
  readonly block: ProofBlock;
  readonly coins: number;
  readonly totalSat: bigint;
  /** Blocks the node has beyond the coordinator's scanned tip (the proof is for the scanned tip). */
  readonly nodeAheadBy: number;
}

/** The wallet address the proof's output names: never paid (the proof cannot be mined), so fixed. */
const PROOF_OUTPUT = { branch: 0, index: 0 } as const;

/** The store's tip, if the node still has it at that height. */
async function provenTip(home: CoordinatorHome, client: RpcClient, nodeHeight: number): Promise<BlockRecord> {
  const tip = home.store.tipBlock();
  if (tip === undefined) {
    throw new KuraError(
      'RESERVES_NOT_SYNCED',
      'the coordinator has scanned no block yet: run kura coordinator sync',
      {
        field: 'home',
      },
    );
  }
  const nodeHash = tip.height <= nodeHeight ? await client.getBlockHash(tip.height) : undefined;
  if (nodeHash !== tip.hash) {
    throw new KuraError(
      'RESERVES_NOT_SYNCED',
      `the coordinator's block ${tip.height} ${tip.hash} is no longer the node's: run kura coordinator sync`,
      { field: 'home', height: tip.height, hash: tip.hash },
    );
  }
  return tip;
}

/** Each coin with its creating transaction, read from the block the store says holds it. */
async function packageCoins(client: RpcClient, coins: readonly CoinRecord[]): Promise<PackageCoin[]> {
  const blocks = new BlockReader(client);
  const bytes = new Map<string, Uint8Array>();
  const result: PackageCoin[] = [];
  for (const coin of coins) {
    let previousTx = bytes.get(coin.txid);
    if (previousTx === undefined) {
      const tx = await blocks.transactionIn(coin.txid, coin.blockHash as string);
      const out = tx?.outs[coin.vout];
      if (tx === undefined || out === undefined || out.value !== coin.valueSat) {
        throw new KuraError(
          'RESERVES_NOT_SYNCED',
          `the node's block ${coin.blockHash} does not hold coin ${coin.txid}:${coin.vout} as the store says: run kura coordinator sync`,
          { field: 'coins', outpoint: `${coin.txid}:${coin.vout}` },
        );
      }
      previousTx = tx.toBuffer();
      bytes.set(coin.txid, previousTx);
    }
    result.push({ previousTx, vout: coin.vout, branch: coin.branch, index: coin.addressIndex });
  }
  return result;
}

export async function proveReserves(options: ProveOptions): Promise<ProveResult> {
  const home = openCoordinatorHome(options.home);
  try {
    // The text is checked before the node is asked anything.
    proofMessage(options.text, { height: 0, hash: '0'.repeat(64) });
    const { client, info } = await connectNode(home);
    try {
      const tip = await provenTip(home, client, info.blocks);
      const block = { height: tip.height, hash: tip.hash };
      const message = proofMessage(options.text, block);
      const coins = reserveCoins(home.store, tip.height);
      if (coins.length === 0) {
        throw new KuraError(
          'RESERVES_NO_COINS',
          `the wallet holds no confirmed coin at block ${tip.height}`,
          {
            field: 'coins',
          },
        );
      }
      const batchId = `reserves-${tip.height}`;
      const psbt = buildProofPackage({
        wallet: home.wallet.wallet,
        header: {
          version: 1,
          purpose: 'reserves',
          batchId,
          walletId: home.wallet.id,
          policyHash: home.policy.policyHash,
        },
        message,
        coins: await packageCoins(client, coins),
        output: PROOF_OUTPUT,
      });
      const txid = unsignedTransaction(psbt).getId();
      const totalSat = coins.reduce((sum, c) => sum + c.valueSat, 0n);
      writeFileAtomic(options.out, psbt.toBuffer(), { exclusive: true, mode: 0o644 });
      home.store.audit('reserves.prove', {
        batchId,
        txid,
        message,
        block,
        coins: coins.length,
        totalSat: totalSat.toString(),
      });
      return {
        out: options.out,
        batchId,
        txid,
        message,
        block,
        coins: coins.length,
        totalSat,
        nodeAheadBy: Math.max(0, info.blocks - tip.height),
      };
    } finally {
      client.close();
    }
  } finally {
    home.close();
  }
}
