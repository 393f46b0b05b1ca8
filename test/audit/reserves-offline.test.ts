// The parts of proof of reserves that need no node: the message and its block, the proof file's
// fields, assembling the signers' files into the proof transaction, and the witness checks an
// auditor runs (CHECKMULTISIG order, strict DER with low S, SIGHASH_ALL only). Signatures are
// made here by the signer's own code over the PUBLIC test mnemonics.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { payments, script as bjsScript, Transaction, type Psbt } from 'bitcoinjs-lib';
import { KuraError } from '../../src/errors.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { makeMultisigWallet, type MultisigWallet } from '../../src/bitcoin/descriptor.js';
import { ecc, type BIP32Interface } from '../../src/bitcoin/ecc.js';
import { buildProofPackage, checkProofMessage, commitmentHash } from '../../src/artifacts/buildProof.js';
import { accountKeyFromMaster, accountPrivateNode, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { checkInputs } from '../../src/signer/checks/inputs.js';
import { signedFile, signInputs } from '../../src/signer/produceSignatures.js';
import {
  assembleProof,
  blockOfMessage,
  checkCoinList,
  checkCommitment,
  checkInputSignatures,
  parseProofFile,
  proofFileOf,
  proofMessage,
  type ReservesProof,
} from '../../src/audit/reserves/index.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';

const NAMES = ['alice', 'bob', 'carol'] as const;
const masters = NAMES.map((n) => masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS[n], ''), 'regtest'));
const accountKeys = masters.map((m) => accountKeyFromMaster(m, 'regtest', 0));
const wallet: MultisigWallet = makeMultisigWallet(2, accountKeys, 'regtest');
const deriver = new WalletDeriver(wallet);
const BLOCK = { height: 812, hash: 'cd'.repeat(32) };
const MESSAGE = proofMessage('ACME Custody', BLOCK);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof KuraError) return error.code;
    throw error;
  }
  return undefined;
}

/** A funding transaction (on no chain) paying the wallet's /0/0, /0/1 and /0/1 again. */
function funding(): Uint8Array {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(randomBytes(32), 0);
  tx.addOutput(deriver.derive(0, 0).scriptPubKey, 70_000n);
  tx.addOutput(deriver.derive(0, 1).scriptPubKey, 50_000n);
  tx.addOutput(deriver.derive(0, 1).scriptPubKey, 30_000n);
  return tx.toBuffer();
}

function proofPackage(previousTx = funding()): Psbt {
  return buildProofPackage({
    wallet,
    header: {
      version: 1,
      purpose: 'reserves',
      batchId: 'r-812',
      walletId: 'aa'.repeat(32),
      policyHash: 'bb'.repeat(32),
    },
    message: MESSAGE,
    coins: [0, 1, 2].map((vout) => ({ previousTx, vout, branch: 0 as const, index: vout === 0 ? 0 : 1 })),
    output: { branch: 0, index: 0 },
  });
}

/** Signs inputs 1…n as cosigner `n` with the signer's own code; returns the signed file. */
function signAs(psbt: Psbt, n: number) {
  const key = accountKeys[n];
  const master = masters[n] as BIP32Interface;
  if (key === undefined) throw new Error('no key');
  const inputs = checkInputs(psbt, deriver, key, 1);
  const account = accountPrivateNode(master, key.origin.path);
  const signatures = signInputs(psbt, inputs, account, key.origin.fingerprint);
  const receipt = {
    kind: 'kura-signing-receipt',
    version: 1,
    fingerprint: key.origin.fingerprint,
    txid: '00'.repeat(32),
    batchId: 'r-812',
    signedAt: 0,
    ledgerEntryHash: '',
  } as const;
  return { path: `${NAMES[n]}.signed.psbt`, psbt: signedFile(psbt, signatures, receipt) };
}

describe('the message and its block', () => {
  it('appends the block, which blockOfMessage reads back, for any readable text', () => {
    const readable = fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }).filter((t) => {
      try {
        checkProofMessage(t);
        return blockOfMessage(t) === undefined;
      } catch {
        return false;
      }
    });
    const block = fc.record({
      height: fc.integer({ min: 0, max: 10_000_000 }),
      hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
    });
    fc.assert(
      fc.property(readable, block, (text, b) => {
        const message = proofMessage(text, b);
        expect(message.startsWith(text)).toBe(true);
        expect(blockOfMessage(message)).toEqual(b);
      }),
    );
  });

  it('names no block in a message without the suffix', () => {
    expect(blockOfMessage('ACME Custody')).toBeUndefined();
    expect(blockOfMessage(`ACME — block 5 ${'AB'.repeat(32)}`)).toBeUndefined();
    expect(blockOfMessage(`ACME — block 05 ${'ab'.repeat(32)}`)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['over 1,000 bytes', 'é'.repeat(501)],
    ['NUL', 'a\u0000b'],
    ['escape', 'a\u001b[31mb'],
    ['DEL', 'a\u007fb'],
    ['C1 next line', 'a\u0085b'],
    ['right-to-left override', 'a\u202eb'],
    ['right-to-left isolate', 'a\u2067b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('refuses a message with %s: PROOF_MESSAGE_INVALID', (_, text) => {
    expect(codeOf(() => checkProofMessage(text))).toBe('PROOF_MESSAGE_INVALID');
  });

  it.each([['ACME Custody — 審計 2025 🧾'], ['x'.repeat(1000)], ['<b>&"quotes"</b>']])('accepts %s', (text) =>
    expect(checkProofMessage(text)).toBe(text),
  );
});

describe('the proof file', () => {
  type Json = Record<string, unknown>;
  const coin0 = (o: Json): Json => (o.coins as Json[])[0] as Json;
  const valid = (): Json => ({
    kind: 'kura-reserves-proof',
    version: 1,
    network: 'regtest',
    message: MESSAGE,
    block: BLOCK,
    proofTx: '0200000000',
    coins: [{ txid: 'ef'.repeat(32), vout: 1, valueSat: '5000', blockHash: '01'.repeat(32), height: 7 }],
  });

  it('round-trips through its JSON form', () => {
    const coin = fc.record({
      txid: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
      vout: fc.integer({ min: 0, max: 0xffffffff }),
      valueSat: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
      blockHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
      height: fc.integer({ min: 0, max: 1e9 }),
    });
    fc.assert(
      fc.property(
        fc.array(coin, { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (coins, tx) => {
          const proof: ReservesProof = {
            network: 'regtest',
            message: MESSAGE,
            block: BLOCK,
            proofTx: tx,
            coins,
          };
          expect(parseProofFile(JSON.parse(JSON.stringify(proofFileOf(proof))))).toEqual(proof);
        },
      ),
    );
  });

  it.each([
    ['kind', (o: Json) => void (o.kind = 'kura-reserves')],
    ['version', (o: Json) => void (o.version = 2)],
    ['network', (o: Json) => void (o.network = 'main')],
    ['message', (o: Json) => void (o.message = 'a\u202eb')],
    ['block.hash', (o: Json) => void (o.block = { height: 1, hash: 'AB'.repeat(32) })],
    ['block.height', (o: Json) => void (o.block = { height: -1, hash: 'ab'.repeat(32) })],
    ['proofTx', (o: Json) => void (o.proofTx = '0x00')],
    ['coins', (o: Json) => void (o.coins = [])],
    ['coins[0].valueSat', (o: Json) => void (coin0(o).valueSat = 5000)],
    ['coins[0].valueSat', (o: Json) => void (coin0(o).valueSat = '-1')],
    ['coins[0].valueSat', (o: Json) => void (coin0(o).valueSat = '2100000000000001')],
    ['coins[0].txid', (o: Json) => void (coin0(o).txid = 'ef')],
  ])('refuses a bad "%s": RESERVES_PROOF_INVALID', (field, change) => {
    const o = valid();
    change(o);
    try {
      parseProofFile(o);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KuraError);
      expect((error as KuraError).code).toBe('RESERVES_PROOF_INVALID');
      expect((error as KuraError).details.field).toBe(field);
    }
  });
});

describe('assembling the signed files', () => {
  it('finalizes every coin input with two signatures in key order and leaves the commitment empty', () => {
    const psbt = proofPackage();
    const { tx, prevouts, block, message } = assembleProof(psbt, [signAs(psbt, 2), signAs(psbt, 0)]);
    expect(message).toBe(MESSAGE);
    expect(block).toEqual(BLOCK);
    expect(tx.ins[0]?.witness).toEqual([]);
    const signers = checkInputSignatures(tx, prevouts);
    expect(signers.map((s) => [s.threshold, s.keys, s.signers.length])).toEqual([
      [2, 3, 2],
      [2, 3, 2],
      [2, 3, 2],
    ]);
    // Three signers: the first two in script order are used, and the result still verifies.
    const three = assembleProof(psbt, [signAs(psbt, 0), signAs(psbt, 1), signAs(psbt, 2)]);
    expect(checkInputSignatures(three.tx, three.prevouts)).toHaveLength(3);
  });

  it('refuses one signature short: PROOF_SIGNATURES_MISSING', () => {
    const psbt = proofPackage();
    expect(codeOf(() => assembleProof(psbt, [signAs(psbt, 1)]))).toBe('PROOF_SIGNATURES_MISSING');
  });

  it('refuses a file signed for another proof: PROOF_SIGNED_MISMATCH', () => {
    const psbt = proofPackage();
    const other = proofPackage();
    expect(codeOf(() => assembleProof(psbt, [signAs(psbt, 0), signAs(other, 1)]))).toBe(
      'PROOF_SIGNED_MISMATCH',
    );
  });

  it('refuses a partial signature that does not verify: PROOF_SIGNATURE_INVALID', () => {
    const psbt = proofPackage();
    const bad = signAs(psbt, 1);
    const sig = bad.psbt.data.inputs[2]?.partialSig?.[0];
    if (sig === undefined) throw new Error('no signature');
    const key = masters[1]?.privateKey ?? new Uint8Array(32);
    // A valid DER signature by the right key over another hash.
    sig.signature = bjsScript.signature.encode(ecc.sign(randomBytes(32), key), Transaction.SIGHASH_ALL);
    expect(codeOf(() => assembleProof(psbt, [signAs(psbt, 0), bad]))).toBe('PROOF_SIGNATURE_INVALID');
  });
});

describe('the witness checks', () => {
  const assembled = () => {
    const psbt = proofPackage();
    return assembleProof(psbt, [signAs(psbt, 0), signAs(psbt, 2)]);
  };

  const edits: { description: string; edit: (witness: Uint8Array[]) => Uint8Array[] }[] = [
    {
      description: 'signatures out of CHECKMULTISIG key order',
      edit: (w) => [w[0], w[2], w[1], w[3]] as Uint8Array[],
    },
    {
      description: 'SIGHASH_NONE',
      edit: (w) => {
        const { signature } = bjsScript.signature.decode(w[1] as Uint8Array);
        return [
          w[0],
          bjsScript.signature.encode(signature, Transaction.SIGHASH_NONE),
          w[2],
          w[3],
        ] as Uint8Array[];
      },
    },
    {
      description: 'a high-S signature',
      edit: (w) => {
        const { signature } = bjsScript.signature.decode(w[1] as Uint8Array);
        const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
        const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
        const high = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
        const encoded = bjsScript.signature.encode(
          Uint8Array.from([...signature.subarray(0, 32), ...high]),
          Transaction.SIGHASH_ALL,
        );
        return [w[0], encoded, w[2], w[3]] as Uint8Array[];
      },
    },
    {
      description: 'one signature fewer than the threshold',
      edit: (w) => [w[0], w[1], w[3]] as Uint8Array[],
    },
    {
      description: 'one signature more than the threshold',
      edit: (w) => [w[0], w[1], w[2], w[2], w[3]] as Uint8Array[],
    },
    {
      description: 'another wallet address’s witness script',
      edit: (w) => [w[0], w[1], w[2], deriver.derive(0, 5).witnessScript] as Uint8Array[],
    },
    {
      description: 'a non-empty dummy item',
      edit: (w) => [Uint8Array.of(1), w[1], w[2], w[3]] as Uint8Array[],
    },
  ];

  it.each(edits)('refuses $description: PROOF_SIGNATURE_INVALID', ({ edit }) => {
    const { tx, prevouts } = assembled();
    const input = tx.ins[1];
    if (input === undefined) throw new Error('no input');
    input.witness = edit(input.witness);
    expect(codeOf(() => checkInputSignatures(tx, prevouts))).toBe('PROOF_SIGNATURE_INVALID');
  });

  it('passes the unedited witnesses, so each refusal above is its edit', () => {
    const { tx, prevouts } = assembled();
    expect(checkInputSignatures(tx, prevouts)).toHaveLength(3);
    const script = payments.p2ms({ output: tx.ins[1]?.witness.at(-1) as Uint8Array });
    expect(script.m).toBe(2);
  });

  it('refuses a signed commitment input: PROOF_COMMITMENT_MISMATCH', () => {
    const { tx } = assembled();
    tx.setWitness(0, [Uint8Array.of(1)]);
    expect(codeOf(() => checkCommitment(tx, MESSAGE))).toBe('PROOF_COMMITMENT_MISMATCH');
  });

  it('refuses a coin counted twice: PROOF_COIN_MISMATCH', () => {
    const tx = new Transaction();
    tx.addInput(commitmentHash(MESSAGE), 0);
    const coin = randomBytes(32);
    tx.addInput(coin, 0);
    tx.addInput(coin, 0);
    const txid = Buffer.from(coin).reverse().toString('hex');
    expect(
      codeOf(() =>
        checkCoinList(tx, [
          { txid, vout: 0 },
          { txid, vout: 0 },
        ]),
      ),
    ).toBe('PROOF_COIN_MISMATCH');
  });
});
