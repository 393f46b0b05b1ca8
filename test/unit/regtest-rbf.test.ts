// BIP-125 replace-by-fee on the tests' regtest node. Bitcoin Core replaces a mempool transaction
// that signals replaceability when the new one pays enough; bcoin 1.0.2 has no replacement, so
// test/helpers/regtest.ts emulates Core's rules in its sendrawtransaction (docs/regtest.md). These
// tests hold the node to Core's verdicts: the replacement and its descendants' eviction, each
// refusal with Core's code and reason, and a refused replacement changing nothing.
//
// Transactions are built with bitcoinjs-lib from mature coinbases of the PUBLIC test miner key
// (private key 1, test/chain/fixtures.ts); every one pays the miner key or a public test key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt, Transaction, networks } from 'bitcoinjs-lib';
import { BroadcastError, RegtestRpcError, startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import { foreignScript, miner } from '../chain/fixtures.js';

/** BIP-125: an input with this nSequence (anything below 0xfffffffe) signals replaceability. */
const SIGNALS_RBF = 0xfffffffd;
/** The default nSequence of bitcoinjs-lib: final, no signal. */
const FINAL = 0xffffffff;

let node: RegtestNode;
let nextCoinbaseHeight = 1;

beforeAll(async () => {
  node = await startRegtestNode();
  await node.ensureSegwit(miner.address);
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

interface Coin {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
}

/** Output 0 of the next unused mature coinbase (every block so far pays the miner key). */
async function nextCoinbase(): Promise<Coin> {
  const hash = await node.rpc<string>('getblockhash', [nextCoinbaseHeight++]);
  const coinbase = Block.fromHex(await node.rpc<string>('getblock', [hash, 0])).transactions?.[0];
  const out = coinbase?.outs[0];
  if (coinbase === undefined || out === undefined) throw new Error('the block has no coinbase');
  return { txid: coinbase.getId(), vout: 0, valueSat: out.value };
}

/** Spends `coins` (all the miner key's) to `outputs` with every input's nSequence `sequence`. */
function spend(
  coins: readonly Coin[],
  outputs: readonly { script: Uint8Array; value: bigint }[],
  sequence: number,
  version = 2,
): Transaction {
  const psbt = new Psbt({ network: networks.regtest });
  psbt.setVersion(version);
  for (const coin of coins) {
    psbt.addInput({
      hash: coin.txid,
      index: coin.vout,
      sequence,
      witnessUtxo: { script: miner.script, value: coin.valueSat },
    });
  }
  psbt.addOutputs([...outputs]);
  psbt.signAllInputs(miner.signer).finalizeAllInputs();
  return psbt.extractTransaction();
}

/** Spends `coin` whole to one output of `script`, leaving `feeSat` as the fee. */
function pay(coin: Coin, script: Uint8Array, feeSat: bigint, sequence = SIGNALS_RBF): Transaction {
  return spend([coin], [{ script, value: coin.valueSat - feeSat }], sequence);
}

/** Output `vout` of `tx` as a coin of the miner key. */
function outputOf(tx: Transaction, vout = 0): Coin {
  const out = tx.outs[vout];
  if (out === undefined) throw new Error(`no output ${vout}`);
  return { txid: tx.getId(), vout, valueSat: out.value };
}

async function mempool(): Promise<string[]> {
  return node.rpc<string[]>('getrawmempool');
}

/** The node's refusal of `tx`: its RPC code and message. */
async function refusalOf(tx: Transaction): Promise<{ code: number | undefined; reason: string }> {
  const error = await node.broadcast(tx.toHex()).catch((e: unknown) => e);
  if (!(error instanceof BroadcastError)) throw new Error(`the node took ${tx.getId()}`);
  return { code: error.rpcCode, reason: error.reason };
}

async function inMempool(txid: string): Promise<boolean> {
  try {
    await node.rpc('getmempoolentry', [txid]);
    return true;
  } catch (error) {
    if (error instanceof RegtestRpcError) return false;
    throw error;
  }
}

describe('a replacement that pays more', () => {
  it('evicts the original and its descendant, takes their place, and is the one mined', async () => {
    const coin = await nextCoinbase();
    const original = pay(coin, miner.script, 2_000n);
    const child = pay(outputOf(original), foreignScript(1), 2_000n);
    await node.broadcast(original.toHex());
    await node.broadcast(child.toHex());
    expect(await mempool()).toEqual(expect.arrayContaining([original.getId(), child.getId()]));

    // It must pay both evicted fees (4,000) plus 1 sat/vB of its own size.
    const replacement = pay(coin, foreignScript(2), 4_000n + 200n);
    expect(BigInt(replacement.virtualSize())).toBeLessThan(200n);
    expect(await node.broadcast(replacement.toHex())).toBe(replacement.getId());

    const held = await mempool();
    expect(held).toContain(replacement.getId());
    expect(held).not.toContain(original.getId());
    expect(held).not.toContain(child.getId());
    expect(await inMempool(original.getId())).toBe(false);
    expect(await inMempool(child.getId())).toBe(false);
    await expect(node.rpc('getrawtransaction', [original.getId()])).rejects.toBeInstanceOf(RegtestRpcError);

    const [blockHash] = await node.mineTo(miner.address, 1);
    const block = Block.fromHex(await node.rpc<string>('getblock', [blockHash, 0]));
    const mined = block.transactions?.map((tx) => tx.getId()) ?? [];
    expect(mined).toContain(replacement.getId());
    expect(mined).not.toContain(original.getId());
    expect(mined).not.toContain(child.getId());
    expect(await inMempool(replacement.getId())).toBe(false);
    expect(await node.rpc<string>('getrawtransaction', [replacement.getId()])).toBe(replacement.toHex());
  });

  it('takes and replaces a version-1 transaction that signals, as Core does', async () => {
    // bcoin alone would refuse the first as non-standard ("replace-by-fee"): the harness lifts that.
    const coin = await nextCoinbase();
    const original = spend([coin], [{ script: miner.script, value: coin.valueSat - 2_000n }], SIGNALS_RBF, 1);
    await node.broadcast(original.toHex());
    const replacement = spend(
      [coin],
      [{ script: foreignScript(13), value: coin.valueSat - 3_000n }],
      SIGNALS_RBF,
      1,
    );
    await node.broadcast(replacement.toHex());
    const held = await mempool();
    expect(held).toContain(replacement.getId());
    expect(held).not.toContain(original.getId());
  });
});

describe('a replacement that is refused', () => {
  // One original in the mempool: one input, two outputs (141 vB), 2,000 sats of fee (14 sat/vB).
  // The refused replacements have one output (110 vB).
  let coin: Coin;
  let original: Transaction;

  beforeAll(async () => {
    coin = await nextCoinbase();
    original = spend(
      [coin],
      [
        { script: foreignScript(20), value: 100_000n },
        { script: miner.script, value: coin.valueSat - 100_000n - 2_000n },
      ],
      SIGNALS_RBF,
    );
    await node.broadcast(original.toHex());
  });

  const cases: {
    description: string;
    feeSat: bigint;
    reason: RegExp;
  }[] = [
    {
      description: 'a fee rate not above the original (rule 6)',
      feeSat: 1_500n, // 13.6 sat/vB
      reason:
        /^insufficient fee, rejecting replacement [0-9a-f]{64}; new feerate 0\.000136\d\d BTC\/kvB <= old feerate 0\.000141\d\d BTC\/kvB$/,
    },
    {
      description: 'a higher rate but less absolute fee than the original (rule 3)',
      feeSat: 1_900n, // 17.3 sat/vB
      reason:
        /^insufficient fee, rejecting replacement [0-9a-f]{64}, less fees than conflicting txs; 0\.000019 < 0\.00002$/,
    },
    {
      description: 'more fee, but not 1 sat/vB of its own size more (rule 4)',
      feeSat: 2_050n,
      reason:
        /^insufficient fee, rejecting replacement [0-9a-f]{64}, not enough additional fees to relay; 0\.0000005 < 0\.0000011$/,
    },
  ];

  it.each(cases)('$description: refused with -26, the original stays', async ({ feeSat, reason }) => {
    const replacement = pay(coin, foreignScript(5), feeSat);
    const refusal = await refusalOf(replacement);
    expect(refusal.code).toBe(-26);
    expect(refusal.reason).toMatch(reason);
    expect(refusal.reason).toContain(replacement.getId());
    expect(await inMempool(original.getId())).toBe(true);
    expect(await inMempool(replacement.getId())).toBe(false);
  });

  it('adding an unconfirmed input the original did not spend is refused (rule 2)', async () => {
    const other = pay(await nextCoinbase(), miner.script, 2_000n);
    await node.broadcast(other.toHex());
    const replacement = spend(
      [coin, outputOf(other)],
      [{ script: foreignScript(8), value: coin.valueSat + outputOf(other).valueSat - 50_000n }],
      SIGNALS_RBF,
    );
    const refusal = await refusalOf(replacement);
    expect(refusal.code).toBe(-26);
    expect(refusal.reason).toMatch(
      /^replacement-adds-unconfirmed, replacement [0-9a-f]{64} adds unconfirmed input, idx 1$/,
    );
    expect(await inMempool(original.getId())).toBe(true);
    expect(await inMempool(other.getId())).toBe(true);
  });

  it('one that pays enough but whose signature fails is refused by the node, and the original stays', async () => {
    const replacement = pay(coin, foreignScript(9), 20_000n);
    const signature = replacement.ins[0]?.witness[0];
    if (signature === undefined) throw new Error('no signature');
    signature[10] = (signature[10] ?? 0) ^ 0x01;
    const refusal = await refusalOf(replacement);
    expect(refusal.code).toBe(-26);
    expect(refusal.reason).toMatch(/script-verify|signature/i);
    expect(await inMempool(original.getId())).toBe(true);
    expect(await mempool()).not.toContain(replacement.getId());
  });

  // Bitcoin Core 28 and later replace without any signal (full RBF: -mempoolfullrbf, on by
  // default since 28.0 and no longer an option in 29); the emulation keeps the signalling rule of
  // older Cores. kura's own transactions always signal, so both verdicts are fine for kura; each
  // node is held to its own.
  describe('without a BIP-125 signal', () => {
    it('a conflict with a transaction that does not signal: refused by the emulation, replaced by Core', async () => {
      const spendable = await nextCoinbase();
      const final = pay(spendable, miner.script, 2_000n, FINAL);
      await node.broadcast(final.toHex());
      const replacement = pay(spendable, foreignScript(10), 50_000n);
      if (node.kind === 'bitcoind') {
        expect(await node.broadcast(replacement.toHex())).toBe(replacement.getId());
        expect(await inMempool(final.getId())).toBe(false);
        return;
      }
      expect(await refusalOf(replacement)).toEqual({ code: -26, reason: 'txn-mempool-conflict' });
      expect(await inMempool(final.getId())).toBe(true);
      expect(await inMempool(replacement.getId())).toBe(false);
    });

    it('so is one with a signalling parent: Core never implemented inherited signalling', async () => {
      // BIP-125 would let the child inherit its parent's signal; Core's mempool checks only the
      // conflicting transaction's own inputs (CVE-2021-31876), and so does the emulation.
      const parent = pay(await nextCoinbase(), miner.script, 2_000n, SIGNALS_RBF);
      const child = pay(outputOf(parent), foreignScript(11), 2_000n, FINAL);
      await node.broadcast(parent.toHex());
      await node.broadcast(child.toHex());
      const replacement = pay(outputOf(parent), foreignScript(12), 50_000n);
      if (node.kind === 'bitcoind') {
        expect(await node.broadcast(replacement.toHex())).toBe(replacement.getId());
        expect(await mempool()).not.toContain(child.getId());
        return;
      }
      expect(await refusalOf(replacement)).toEqual({ code: -26, reason: 'txn-mempool-conflict' });
      expect(await mempool()).toEqual(expect.arrayContaining([parent.getId(), child.getId()]));
    });
  });
});
