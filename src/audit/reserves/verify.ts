// `kura audit reserves verify`: an auditor checks a proof file against their own node, over RPC
// only, with nothing from the custodian but the file. In order, each refusal with its code:
//   1. the node serves the proof's network (NODE_WRONG_NETWORK);
//   2. input 0 is the commitment of the message (PROOF_COMMITMENT_MISMATCH);
//   3. the message names the proof's block, and the node has that block at that height
//      (PROOF_BLOCK_MISMATCH);
//   4. inputs 1…n are the listed coins, each created by a transaction in the block it names, in
//      the node's chain at or below the proof's block, with the value it claims (PROOF_COIN_MISMATCH);
//   5. one output of exactly their sum (PROOF_OUTPUT_INVALID);
//   6. every coin's witness spends it: script hash, CHECKMULTISIG signatures under BIP-143
//      SIGHASH_ALL (PROOF_SIGNATURE_INVALID);
//   7. every coin was unspent at the block: unspent now, or spent in a block after it
//      ("spent since", still counted); a coin spent now whose spend is in no later block was
//      spent at or before the block (PROOF_COIN_SPENT).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import { formatBtc } from '../../approvals/approval.js';
import { commitmentTxid } from '../../artifacts/buildProof.js';
import { readBoundedFile } from '../../artifacts/readFile.js';
import type { RpcClient } from '../../chain/rpcClient.js';
import { BlockReader, findSpends, unspentNow } from './chainReads.js';
import {
  checkCoinList,
  checkCommitment,
  checkInputSignatures,
  checkSingleOutput,
  parseProofTransaction,
  type Prevout,
} from './checkTransaction.js';
import { blockOfMessage } from './message.js';
import { MAX_PROOF_FILE_BYTES, parseProofFile, type ReservesProof } from './proofFile.js';
import type { CoinStatus, PassedCheck, VerificationReport } from './report.js';

/** About ten weeks of mainnet blocks: reading more to find where coins went is a deliberate choice. */
export const DEFAULT_MAX_SCAN_BLOCKS = 10_000;

export interface VerifyOptions {
  /** How many blocks after the proof's block may be read to find spends. */
  readonly maxScanBlocks?: number;
  /** Unix seconds for `verifiedAt` (the clock unless a test pins it). */
  readonly now?: number;
}

function coinMismatch(index: number, outpoint: string, why: string): KuraError {
  return new KuraError('PROOF_COIN_MISMATCH', `coin ${index} (${outpoint}) ${why}`, {
    field: `coins[${index}]`,
    outpoint,
  });
}

/** Steps 3: the block the message names is the proof's block and the node's block at that height. */
async function checkBlock(proof: ReservesProof, client: RpcClient, tipHeight: number): Promise<void> {
  const named = blockOfMessage(proof.message);
  const mismatch = (why: string) =>
    new KuraError('PROOF_BLOCK_MISMATCH', why, {
      field: 'block',
      height: proof.block.height,
      hash: proof.block.hash,
    });
  if (named === undefined) throw mismatch('the message names no block ("… — block <height> <hash>")');
  if (named.height !== proof.block.height || named.hash !== proof.block.hash) {
    throw mismatch(
      `the message names block ${named.height} ${named.hash}, the file says ${proof.block.height} ${proof.block.hash}`,
    );
  }
  if (proof.block.height > tipHeight)
    throw mismatch(`the node's chain ends at ${tipHeight}, below block ${proof.block.height}`);
  const nodeHash = await client.getBlockHash(proof.block.height);
  if (nodeHash !== proof.block.hash) {
    throw mismatch(`the node's block ${proof.block.height} is ${nodeHash}, not ${proof.block.hash}`);
  }
}

/** Step 4: each coin's output as the node's chain holds it. */
async function nodePrevouts(proof: ReservesProof, client: RpcClient): Promise<Prevout[]> {
  const blocks = new BlockReader(client);
  const hashAt = new Map<number, string>();
  const prevouts: Prevout[] = [];
  for (const [i, coin] of proof.coins.entries()) {
    const outpoint = `${coin.txid}:${coin.vout}`;
    if (coin.height > proof.block.height)
      throw coinMismatch(i, outpoint, `was made at ${coin.height}, after the proof's block`);
    let hash = hashAt.get(coin.height);
    if (hash === undefined) {
      hash = await client.getBlockHash(coin.height);
      hashAt.set(coin.height, hash);
    }
    if (hash !== coin.blockHash)
      throw coinMismatch(
        i,
        outpoint,
        `names block ${coin.blockHash} at ${coin.height}; the node has ${hash} there`,
      );
    const tx = await blocks.transactionIn(coin.txid, coin.blockHash);
    const out = tx?.outs[coin.vout];
    if (tx === undefined || out === undefined)
      throw coinMismatch(i, outpoint, `is not in block ${coin.blockHash}`);
    if (out.value !== coin.valueSat)
      throw coinMismatch(i, outpoint, `claims ${coin.valueSat} sats; the node's output holds ${out.value}`);
    prevouts.push({ valueSat: out.value, script: out.script });
  }
  return prevouts;
}

/** Step 7: unspent at the block, now or until a later block spent it. */
async function coinStatuses(
  proof: ReservesProof,
  client: RpcClient,
  tipHeight: number,
  maxScanBlocks: number,
): Promise<CoinStatus[]> {
  const spentNow = new Set<string>();
  for (const coin of proof.coins) {
    if (!(await unspentNow(client, coin.txid, coin.vout))) spentNow.add(`${coin.txid}:${coin.vout}`);
  }
  let spends = new Map<string, { height: number; spentBy: string }>();
  if (spentNow.size > 0) {
    const blocks = tipHeight - proof.block.height;
    if (blocks > maxScanBlocks) {
      throw new KuraError(
        'PROOF_SCAN_LIMIT',
        `${spentNow.size} coins are spent now; finding where needs ${blocks} blocks after ${proof.block.height}, more than --max-scan-blocks ${maxScanBlocks}`,
        { field: 'max-scan-blocks', blocks, maxScanBlocks },
      );
    }
    spends = await findSpends(client, spentNow, proof.block.height + 1, tipHeight);
    const before = [...spentNow].filter((o) => !spends.has(o));
    if (before.length > 0) {
      throw new KuraError(
        'PROOF_COIN_SPENT',
        `${before.length} coin${before.length === 1 ? ' was' : 's were'} already spent at block ${proof.block.height}: ${before.slice(0, 5).join(', ')}${before.length > 5 ? ', …' : ''}`,
        { field: 'coins', outpoints: before },
      );
    }
  }
  return proof.coins.map((coin) => {
    const base = {
      txid: coin.txid,
      vout: coin.vout,
      valueSat: coin.valueSat,
      height: coin.height,
      blockHash: coin.blockHash,
    };
    const spend = spends.get(`${coin.txid}:${coin.vout}`);
    return spend === undefined
      ? { ...base, status: 'unspent' }
      : { ...base, status: 'spent-since', spentAtHeight: spend.height, spentBy: spend.spentBy };
  });
}

export async function verifyReserves(
  proof: ReservesProof,
  proofSha256: string,
  client: RpcClient,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const maxScanBlocks = options.maxScanBlocks ?? DEFAULT_MAX_SCAN_BLOCKS;
  const info = await client.expectNetwork(proof.network);
  const tx = parseProofTransaction(proof.proofTx);
  checkCommitment(tx, proof.message);
  await checkBlock(proof, client, info.blocks);
  checkCoinList(tx, proof.coins);
  const prevouts = await nodePrevouts(proof, client);
  const totalSat = prevouts.reduce((sum, p) => sum + p.valueSat, 0n);
  checkSingleOutput(tx, totalSat);
  const signers = checkInputSignatures(tx, prevouts);
  const coins = await coinStatuses(proof, client, info.blocks, maxScanBlocks);
  const header = await client.getBlockHeader(proof.block.hash);
  const tipHash = await client.getBlockHash(info.blocks);

  const spentSince = coins.filter((c) => c.status === 'spent-since');
  const schemes = [...new Set(signers.map((s) => `${s.threshold}-of-${s.keys}`))].join(', ');
  const checks: PassedCheck[] = [
    { id: 'network', detail: `the auditor's node serves ${proof.network} (chain "${info.chain}")` },
    {
      id: 'commitment',
      detail: `input 0 is the BIP-127 commitment ${commitmentTxid(proof.message)}:0 = SHA-256("Proof-of-Reserves: " + message), unsigned`,
    },
    {
      id: 'block',
      detail: `the message names block ${proof.block.height} ${proof.block.hash}, which is the node's block at that height`,
    },
    {
      id: 'coins',
      detail: `${coins.length} coins, each created in the block it names, in the node's chain at or below ${proof.block.height}`,
    },
    { id: 'output', detail: `one output of exactly ${totalSat} sats, the coins' sum: no fee` },
    {
      id: 'signatures',
      detail: `every coin's witness script hashes to its output; ${schemes} CHECKMULTISIG signatures verify under BIP-143 with SIGHASH_ALL`,
    },
    {
      id: 'unspent',
      detail: `every coin was unspent at block ${proof.block.height} (${spentSince.length} spent since, each found in a later block)`,
    },
  ];
  return {
    proofSha256,
    network: proof.network,
    message: proof.message,
    block: { height: proof.block.height, hash: proof.block.hash, time: header.time },
    verifiedAt: options.now ?? Math.floor(Date.now() / 1000),
    nodeTip: { height: info.blocks, hash: tipHash },
    totalSat,
    coins,
    checks,
  };
}

/** Reads, hashes and parses a proof file, then verifies it (`proofSha256` names the exact bytes). */
export async function verifyReservesFile(
  path: string,
  client: RpcClient,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const bytes = readBoundedFile(path, MAX_PROOF_FILE_BYTES, 'proof');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new KuraError(
      'JSON_MALFORMED',
      `"proof": ${path} is not valid JSON`,
      { field: 'proof', path },
      cause,
    );
  }
  return verifyReserves(parseProofFile(json), bytesToHex(sha256(bytes)), client, options);
}

/** One line per coin for people: value, where it was made, and whether it moved since. */
export function coinLine(coin: CoinStatus): string {
  const where = `${coin.txid}:${coin.vout}  ${formatBtc(coin.valueSat)} BTC  (block ${coin.height})`;
  return coin.status === 'unspent'
    ? `${where}  unspent`
    : `${where}  spent since, at height ${coin.spentAtHeight}`;
}
