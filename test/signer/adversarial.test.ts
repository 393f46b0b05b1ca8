// The adversarial suite (THREATS.md #1–#15, #23): tampered signing packages built from a valid
// one. Each must be refused with its own code, and a refusal must leave no signature behind:
// no signed file and no ledger entry.
import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { payments, Psbt, Transaction } from 'bitcoinjs-lib';
import { hexToBytes } from '@noble/hashes/utils.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { bip32 } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { parseKeyOriginString } from '../../src/bitcoin/keyExpression.js';
import { readLedger } from '../../src/signer/ledger.js';
import { GlobalSubtype, proprietaryKey } from '../../src/artifacts/kuraFields.js';
import { requestBytes } from '../../src/approvals/request.js';
import { kura, type KuraRun } from '../helpers/cli.js';
import {
  approve,
  buildPackage,
  fundingTransaction,
  makeRequest,
  NOW,
  setUpScenario,
  testDestination,
  validParts,
  writePackage,
  type PackageParts,
  type Scenario,
  runSign,
} from '../helpers/scenario.js';

let scenario: Scenario;
let counter = 0;

beforeAll(async () => {
  scenario = await setUpScenario();
});

function codes(run: KuraRun): { code?: string; reasons: string[] } {
  const out = JSON.parse(run.stdout) as {
    error?: { code: string; details?: { reasons?: { code: string }[] } };
  };
  return { code: out.error?.code, reasons: (out.error?.details?.reasons ?? []).map((r) => r.code) };
}

/** Signs `bytes` as alice and checks the refusal left nothing behind. */
async function refuse(
  bytes: Uint8Array,
  home = scenario.homes.alice,
): Promise<{ code?: string; reasons: string[] }> {
  const dir = join(scenario.dir, `case-${++counter}`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  const file = writePackage(dir, 'package.psbt', bytes);
  const before = readLedger(home).length;
  const run = await runSign(scenario, home, file);
  expect(run.code).not.toBe(0);
  expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  expect(readLedger(home).length).toBe(before);
  expect(readdirSync(dir).filter((f) => f.endsWith('.signed.psbt'))).toEqual([]);
  return codes(run);
}

function tampered(
  mutate: (psbt: Psbt, parts: PackageParts) => void,
  partsMutate?: (parts: PackageParts) => void,
): Uint8Array {
  const parts = validParts(scenario);
  partsMutate?.(parts);
  const psbt = buildPackage(scenario, parts);
  mutate(psbt, parts);
  return psbt.toBuffer();
}

const noop = () => undefined;

type InputOverride = Partial<NonNullable<Psbt['data']['inputs'][number]>> & {
  hash?: Uint8Array;
  omitPreviousTx?: boolean;
};

/**
 * Rebuilds a package with some inputs replaced: bitcoinjs-lib caches previous transactions behind
 * accessors, so fields cannot simply be deleted from a built PSBT.
 */
function rebuild(source: Psbt, overrides: Record<number, InputOverride>): Uint8Array {
  const out = new Psbt({ network: networkInfo('regtest').bitcoinjs });
  out.setVersion(source.version);
  out.setLocktime(source.locktime);
  source.txInputs.forEach((txIn, i) => {
    const o = overrides[i] ?? {};
    out.addInput({ hash: o.hash ?? Uint8Array.from(txIn.hash), index: txIn.index, sequence: txIn.sequence });
  });
  source.data.inputs.forEach((input, i) => {
    const o = overrides[i] ?? {};
    const nonWitnessUtxo = o.omitPreviousTx ? undefined : (o.nonWitnessUtxo ?? input.nonWitnessUtxo);
    out.updateInput(i, {
      ...(nonWitnessUtxo ? { nonWitnessUtxo } : {}),
      witnessUtxo: o.witnessUtxo ?? input.witnessUtxo,
      witnessScript: o.witnessScript ?? input.witnessScript,
      bip32Derivation: o.bip32Derivation ?? input.bip32Derivation,
    } as Parameters<Psbt['updateInput']>[1]);
  });
  source.txOutputs.forEach((txOut, i) => {
    out.addOutput({ script: Uint8Array.from(txOut.script), value: txOut.value });
    const output = source.data.outputs[i];
    if (output?.bip32Derivation)
      out.updateOutput(i, { bip32Derivation: output.bip32Derivation, witnessScript: output.witnessScript });
    for (const kv of output?.unknownKeyVals ?? []) out.addUnknownKeyValToOutput(i, kv);
  });
  for (const kv of source.data.globalMap.unknownKeyVals ?? []) out.addUnknownKeyValToGlobal(kv);
  return out.toBuffer();
}

function withoutPreviousTx(input: number): Uint8Array {
  return rebuild(buildPackage(scenario, validParts(scenario)), { [input]: { omitPreviousTx: true } });
}

/** Another wallet's scripts sharing alice's key, or none of ours at all. */
function foreignWallet(withAlice: boolean, threshold = 2) {
  const strangers = [7, 8, 9].map((n) => {
    const node = bip32.fromSeed(hexToBytes(String(n).repeat(64)), networkInfo('regtest').bitcoinjs);
    const account = node.derivePath("m/48'/1'/0'/2'").neutered();
    return parseKeyOriginString(
      `[${Buffer.from(node.fingerprint).toString('hex')}/48h/1h/0h/2h]${account.toBase58()}`,
      'regtest',
      'k',
    );
  });
  const keys = withAlice ? [scenario.wallet.wallet.keys[0], ...strangers.slice(0, 2)] : strangers;
  return makeMultisigWallet(
    threshold,
    keys.filter((k) => k !== undefined),
    'regtest',
  );
}

describe('files and parsing', () => {
  it('refuses bytes that are not a PSBT', async () => {
    expect((await refuse(Uint8Array.from(Buffer.from('not a psbt at all')))).code).toBe('PSBT_MALFORMED');
  });

  it('refuses PSBT version 2', async () => {
    const valid = tampered(noop);
    const v2 = Buffer.concat([valid.subarray(0, 5), Buffer.from('01fb0402000000', 'hex'), valid.subarray(5)]);
    expect((await refuse(v2)).code).toBe('PSBT_VERSION_UNSUPPORTED');
  });

  it('refuses a duplicate key in the global map', async () => {
    const valid = tampered(noop);
    const dup = Buffer.concat([
      valid.subarray(0, 5),
      Buffer.from('02f0aa0100'.repeat(2), 'hex'),
      valid.subarray(5),
    ]);
    expect((await refuse(dup)).code).toBe('PSBT_DUPLICATE_KEY');
  });

  it('refuses a file past the size bound without reading it', async () => {
    const dir = join(scenario.dir, 'huge');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const file = join(dir, 'huge.psbt');
    writeFileSync(file, '');
    truncateSync(file, 65 * 1024 * 1024); // sparse: costs no disk
    const run = await kura(['signer', 'sign', file, '--home', scenario.homes.alice, '--yes', '--json']);
    expect(codes(run).code).toBe('PSBT_TOO_LARGE');
  });

  it('refuses a PSBT that is not a kura signing package', async () => {
    const plain = tampered((psbt) => {
      psbt.data.globalMap.unknownKeyVals = [];
    });
    expect((await refuse(plain)).code).toBe('PACKAGE_INVALID');
  });

  it('accepts base64 as well as binary (and still refuses a tampered one)', async () => {
    const base64 = Buffer.from(Buffer.from(withoutPreviousTx(0)).toString('base64'));
    expect((await refuse(base64)).code).toBe('INPUT_PREVIOUS_TX_MISSING');
  });
});

describe('inputs', () => {
  const cases: { description: string; bytes: () => Uint8Array; code: string }[] = [
    {
      description: 'an input without its previous transaction',
      bytes: () => withoutPreviousTx(1),
      code: 'INPUT_PREVIOUS_TX_MISSING',
    },
    {
      description: 'a previous transaction that does not hash to the outpoint',
      bytes: () =>
        tampered((p) => {
          const input = p.data.inputs[0];
          if (input) input.nonWitnessUtxo = fundingTransaction(scenario.wallet, [100_000_000n, 100_000_000n]);
        }),
      code: 'INPUT_PREVIOUS_TX_MISMATCH',
    },
    {
      description: 'a witness UTXO that overstates the amount (CVE-2020-14199)',
      bytes: () =>
        tampered((p) => {
          const input = p.data.inputs[0];
          if (input?.witnessUtxo)
            input.witnessUtxo = { ...input.witnessUtxo, value: input.witnessUtxo.value + 1_000_000n };
        }),
      code: 'INPUT_WITNESS_UTXO_MISMATCH',
    },
    {
      description: 'a witness UTXO with another script',
      bytes: () =>
        tampered((p) => {
          const input = p.data.inputs[0];
          if (input?.witnessUtxo)
            input.witnessUtxo = {
              ...input.witnessUtxo,
              script: new WalletDeriver(scenario.wallet.wallet).derive(0, 9).scriptPubKey,
            };
        }),
      code: 'INPUT_WITNESS_UTXO_MISMATCH',
    },
    {
      description: 'a witness script of another address of the wallet',
      bytes: () =>
        tampered((p) => {
          const input = p.data.inputs[0];
          if (input)
            input.witnessScript = new WalletDeriver(scenario.wallet.wallet).derive(0, 7).witnessScript;
        }),
      code: 'INPUT_NOT_OURS',
    },
    {
      description: 'derivation paths that point at another index',
      bytes: () =>
        tampered((p) => {
          for (const d of p.data.inputs[0]?.bip32Derivation ?? []) d.path = d.path.replace(/\/0\/0$/, '/0/5');
        }),
      code: 'INPUT_NOT_OURS',
    },
    {
      description: 'derivation paths that disagree with each other',
      bytes: () =>
        tampered((p) => {
          const first = p.data.inputs[0]?.bip32Derivation?.[0];
          if (first) first.path = first.path.replace(/\/0\/0$/, '/0/5');
        }),
      code: 'INPUT_NOT_OURS',
    },
    {
      description: 'an input without derivations',
      bytes: () => rebuild(buildPackage(scenario, validParts(scenario)), { 0: { bip32Derivation: [] } }),
      code: 'INPUT_NOT_OURS',
    },
    {
      description: 'a coin of another wallet that shares this signer’s key',
      bytes: () => foreignCoin(true),
      code: 'INPUT_MIXED_WALLETS',
    },
    {
      description: 'a coin of an unregistered wallet',
      bytes: () => foreignCoin(false),
      code: 'INPUT_NOT_OURS',
    },
    {
      description: 'sighash NONE',
      bytes: () => tampered((p) => p.updateInput(0, { sighashType: Transaction.SIGHASH_NONE })),
      code: 'SIGHASH_NOT_ALLOWED',
    },
    {
      description: 'sighash SINGLE|ANYONECANPAY',
      bytes: () =>
        tampered((p) =>
          p.updateInput(1, { sighashType: Transaction.SIGHASH_SINGLE | Transaction.SIGHASH_ANYONECANPAY }),
        ),
      code: 'SIGHASH_NOT_ALLOWED',
    },
    {
      description: 'an unknown sighash type',
      bytes: () => tampered((p) => p.updateInput(0, { sighashType: 0x42 })),
      code: 'SIGHASH_NOT_ALLOWED',
    },
  ];
  it.each(cases)('refuses $description', async ({ bytes, code }) => {
    expect((await refuse(bytes())).code).toBe(code);
  });
});

/** A package whose second coin belongs to another wallet, with derivations naming its keys. */
function foreignCoin(withAlice: boolean): Uint8Array {
  const derived = new WalletDeriver(foreignWallet(withAlice)).derive(0, 0);
  const tx = new Transaction();
  tx.addInput(Buffer.alloc(32, 5), 0);
  tx.addOutput(derived.scriptPubKey, 1_000n); // the package spends output 1
  tx.addOutput(derived.scriptPubKey, 100_000_000n);
  return rebuild(buildPackage(scenario, validParts(scenario)), {
    1: {
      hash: tx.getHash(),
      nonWitnessUtxo: tx.toBuffer(),
      witnessUtxo: { script: derived.scriptPubKey, value: 100_000_000n },
      witnessScript: derived.witnessScript,
      bip32Derivation: derived.keys.map((k) => ({
        masterFingerprint: hexToBytes(k.fingerprint),
        pubkey: k.publicKey,
        path: `m/${k.path.map((s) => (s >= 0x80000000 ? `${s - 0x80000000}'` : `${s}`)).join('/')}`,
      })),
    },
  });
}

describe('outputs', () => {
  const deriver = () => new WalletDeriver(scenario.wallet.wallet);
  function withChange(script: Uint8Array, witnessScript: Uint8Array, path: string) {
    return tampered((p) => {
      const out = p.data.outputs[2];
      const cache = (p as unknown as { __CACHE: { __TX: Transaction } }).__CACHE.__TX;
      const txOut = cache.outs[2];
      if (!out || !txOut) return;
      txOut.script = script;
      out.witnessScript = witnessScript;
      for (const d of out.bip32Derivation ?? []) d.path = d.path.replace(/\/1\/0$/, path);
    });
  }
  const lookAlike = (threshold: number, withForeign: boolean) => {
    const base = scenario.wallet.wallet;
    const wallet = withForeign
      ? makeMultisigWallet(2, [...base.keys.slice(0, 2), ...foreignWallet(false).keys.slice(0, 1)], 'regtest')
      : makeMultisigWallet(threshold, base.keys, 'regtest');
    return new WalletDeriver(wallet).derive(1, 0);
  };

  const cases: { description: string; bytes: () => Uint8Array; code: string }[] = [
    {
      description: 'a payment one sat larger than approved',
      bytes: () =>
        tampered((p) => {
          const out = (p as unknown as { __CACHE: { __TX: Transaction } }).__CACHE.__TX.outs[0];
          if (out) out.value += 1n;
        }),
      code: 'OUTPUT_NOT_APPROVED',
    },
    {
      description: 'a payment to another destination',
      bytes: () =>
        tampered((p) => {
          const out = (p as unknown as { __CACHE: { __TX: Transaction } }).__CACHE.__TX.outs[0];
          if (out)
            out.script = payments.p2wpkh({
              address: testDestination(999),
              network: networkInfo('regtest').bitcoinjs,
            }).output as Uint8Array;
        }),
      code: 'OUTPUT_NOT_APPROVED',
    },
    {
      description: 'an extra output nobody approved',
      bytes: () => tampered((p) => p.addOutput({ address: testDestination(998), value: 10_000n })),
      code: 'OUTPUT_NOT_APPROVED',
    },
    {
      description: 'two outputs tagged with the same request',
      bytes: () =>
        tampered((p) => {
          const tag = p.data.outputs[0]?.unknownKeyVals?.[0];
          if (tag) p.data.outputs[1] = { ...p.data.outputs[1], unknownKeyVals: [tag] };
        }),
      code: 'OUTPUT_NOT_APPROVED',
    },
    {
      description: 'a request in the package that no output pays',
      bytes: () =>
        tampered((p) => {
          const extra = makeRequest(scenario, 1_000n);
          p.addUnknownKeyValToGlobal({
            key: proprietaryKey(GlobalSubtype.request, hexToBytes(extra.requestId)),
            value: requestBytes(extra),
          });
        }),
      code: 'REQUEST_NOT_PAID',
    },
    {
      description: 'change to a stranger under our derivation paths',
      bytes: () =>
        withChange(
          payments.p2wpkh({ address: testDestination(997), network: networkInfo('regtest').bitcoinjs })
            .output as Uint8Array,
          deriver().derive(1, 0).witnessScript,
          '/1/0',
        ),
      code: 'CHANGE_NOT_OURS',
    },
    {
      description: 'look-alike change with another threshold (1-of-3 of our keys)',
      bytes: () => {
        const d = lookAlike(1, false);
        return withChange(d.scriptPubKey, d.witnessScript, '/1/0');
      },
      code: 'CHANGE_NOT_OURS',
    },
    {
      description: 'look-alike change with a foreign key added',
      bytes: () => {
        const d = lookAlike(2, true);
        return withChange(d.scriptPubKey, d.witnessScript, '/1/0');
      },
      code: 'CHANGE_NOT_OURS',
    },
    {
      description: 'change on the receive branch',
      bytes: () => {
        const d = deriver().derive(0, 3);
        return withChange(d.scriptPubKey, d.witnessScript, '/0/3');
      },
      code: 'CHANGE_NOT_OURS',
    },
    {
      description: 'change at an absurd index',
      bytes: () => {
        const d = deriver().derive(1, 5_000_000);
        return withChange(d.scriptPubKey, d.witnessScript, '/1/5000000');
      },
      code: 'CHANGE_INDEX_ABSURD',
    },
  ];
  it.each(cases)('refuses $description', async ({ bytes, code }) => {
    expect((await refuse(bytes())).code).toBe(code);
  });
});

describe('approvals and policy', () => {
  const cases: {
    description: string;
    parts: (parts: PackageParts) => void;
    code: string;
    reasons?: string[];
  }[] = [
    {
      description: 'one approval where the tier needs two',
      parts: (p) => (p.approvals = p.approvals.filter((_, i) => i !== 1)),
      code: 'APPROVAL_QUORUM_NOT_MET',
    },
    {
      description: 'an approval by a key that is no officer',
      parts: (p) => {
        const r = p.requests[0];
        if (!r) return;
        const stranger = approve(r, 0);
        const key = hexToBytes('00'.repeat(31) + '04');
        const { ecc } = { ecc: bip32Ecc() };
        const { approvalHash } = approvalModule();
        p.approvals[1] = {
          ...stranger,
          officerPublicKey: Buffer.from(ecc.xOnlyPointFromScalar(key)).toString('hex'),
          signature: Buffer.from(
            ecc.signSchnorr(approvalHash(r, stranger.approvedAt), key, new Uint8Array(32)),
          ).toString('hex'),
        };
      },
      code: 'POLICY_REFUSED',
      reasons: ['APPROVAL_OFFICER_UNKNOWN', 'APPROVAL_QUORUM_NOT_MET'],
    },
    {
      description: 'a tampered approval signature',
      parts: (p) => {
        const a = p.approvals[0];
        if (a)
          p.approvals[0] = {
            ...a,
            signature: a.signature.slice(0, -2) + (a.signature.endsWith('00') ? '01' : '00'),
          };
      },
      code: 'APPROVAL_SIGNATURE_INVALID',
    },
    {
      description: 'an approval of another request moved onto this one',
      parts: (p) => {
        const [a, b] = p.requests;
        if (a && b) p.approvals[0] = { ...approve(b, 0), requestId: a.requestId };
      },
      code: 'APPROVAL_SIGNATURE_INVALID',
    },
    {
      description: 'a request whose amount changed after approval',
      parts: (p) => {
        const r = p.requests[0];
        if (r) p.requests[0] = { ...r, amountSat: r.amountSat + 1n };
      },
      code: 'APPROVAL_SIGNATURE_INVALID',
    },
    {
      description: 'a request whose destination changed after approval',
      parts: (p) => {
        const r = p.requests[0];
        const destination = testDestination(996);
        if (r)
          p.requests[0] = {
            ...r,
            destination,
            scriptPubKey: payments.p2wpkh({ address: destination, network: networkInfo('regtest').bitcoinjs })
              .output as Uint8Array,
          };
      },
      code: 'APPROVAL_SIGNATURE_INVALID',
    },
    {
      description: 'an approval for a request the package does not hold',
      parts: (p) => p.approvals.push(approve(makeRequest(scenario, 5_000n), 2)),
      code: 'APPROVAL_MISMATCH',
    },
    {
      description: 'approvals older than the policy allows',
      parts: (p) => {
        p.approvals = p.requests.flatMap((r) => [
          approve(r, 0, NOW - 8 * 86_400),
          approve(r, 1, NOW - 8 * 86_400),
        ]);
      },
      code: 'POLICY_REFUSED',
      reasons: ['APPROVAL_EXPIRED'],
    },
    {
      description: 'an expired request',
      parts: (p) => {
        p.requests = p.requests.map((r) => ({ ...r, expiresAt: NOW - 60 }));
        p.approvals = p.requests.flatMap((r) => [approve(r, 0), approve(r, 1)]);
      },
      code: 'APPROVAL_EXPIRED',
    },
    {
      description: 'a large withdrawal whose delay is not over',
      parts: (p) => bigWithdrawal(p, [0, 1, 2]),
      code: 'APPROVAL_DELAY_NOT_OVER',
    },
    {
      description: 'a large withdrawal without the security role',
      parts: (p) => bigWithdrawal(p, [0, 1]),
      code: 'POLICY_REFUSED',
      reasons: ['APPROVAL_QUORUM_NOT_MET'],
    },
    {
      description: 'a request over the per-withdrawal limit',
      parts: (p) => bigWithdrawal(p, [0, 1, 2], 1_100_000_000n),
      code: 'POLICY_REFUSED',
      reasons: ['POLICY_LIMIT_EXCEEDED'],
    },
    {
      description: 'a fee above the caps',
      parts: (p) => {
        if (p.change) p.change = { ...p.change, valueSat: p.change.valueSat - 2_000_000n };
      },
      code: 'POLICY_REFUSED',
      reasons: ['POLICY_FEE_TOO_HIGH'],
    },
    {
      description: 'a package naming another policy',
      parts: (p) => (p.policyHash = 'ab'.repeat(32)),
      code: 'POLICY_HASH_MISMATCH',
    },
    {
      description: 'a request for another wallet',
      parts: (p) => {
        p.requests = p.requests.map((r) => ({ ...r, walletId: 'cd'.repeat(32) }));
        p.approvals = p.requests.flatMap((r) => [approve(r, 0), approve(r, 1)]);
      },
      code: 'POLICY_WALLET_MISMATCH',
    },
  ];
  it.each(cases)('refuses $description', async ({ parts, code, reasons }) => {
    const result = await refuse(tampered(noop, parts));
    expect(result.code).toBe(code);
    for (const r of reasons ?? []) expect(result.reasons).toContain(r);
  });

  it('cannot count one officer twice: a second approval by the same key is a duplicate PSBT key', async () => {
    const parts = validParts(scenario);
    const r = parts.requests[0];
    if (r === undefined) throw new Error('no request');
    const again = approve(r, 0, NOW - 300);
    const key = proprietaryKey(GlobalSubtype.approval, hexToBytes(again.requestId + again.officerPublicKey));
    const value = Buffer.concat([
      Buffer.from(new BigUint64Array([BigInt(again.approvedAt)]).buffer),
      Buffer.from(again.signature, 'hex'),
    ]);
    const valid = buildPackage(scenario, parts).toBuffer();
    const kv = Buffer.concat([Buffer.from([key.length]), key, Buffer.from([value.length]), value]);
    const dup = Buffer.concat([valid.subarray(0, 5), kv, valid.subarray(5)]);
    expect((await refuse(dup)).code).toBe('PSBT_DUPLICATE_KEY');
  });

  it('refuses a package for another wallet', async () => {
    const bytes = tampered((p) => {
      const kv = p.data.globalMap.unknownKeyVals?.[0];
      if (kv)
        kv.value = Buffer.from(Buffer.from(kv.value).toString().replace(scenario.wallet.id, 'ef'.repeat(32)));
    });
    expect((await refuse(bytes)).code).toBe('PACKAGE_WALLET_MISMATCH');
  });
});

/** A 5 BTC withdrawal (tier 2: three approvals with security, one hour delay) from a 12 BTC coin. */
function bigWithdrawal(p: PackageParts, officers: number[], amountSat = 500_000_000n): void {
  const funding = fundingTransaction(scenario.wallet, [1_200_000_000n], 20);
  const request = makeRequest(scenario, amountSat, testDestination(301));
  p.coins = [{ previousTx: funding, vout: 0, branch: 0, index: 20 }];
  p.requests = [request];
  p.approvals = officers.map((o) => approve(request, o, NOW - 600));
  p.change = { index: 0, valueSat: 1_200_000_000n - amountSat - 20_000n };
}

function bip32Ecc() {
  return eccModule;
}
function approvalModule() {
  return approvalExports;
}
import * as eccExports from '../../src/bitcoin/ecc.js';
import * as approvalExports from '../../src/approvals/request.js';
const eccModule = eccExports.ecc;

describe('the ledger', () => {
  it('refuses the same coin again at another amount, and the same request twice', async () => {
    const parts = validParts(scenario);
    const first = buildPackage(scenario, parts);
    const dir = join(scenario.dir, 'ledger');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const file = writePackage(dir, 'first.psbt', first.toBuffer());
    const signed = await runSign(scenario, scenario.homes.bob, file);
    expect(signed.code).toBe(0);
    expect(existsSync(signed.json<{ signedPath: string }>().signedPath)).toBe(true);

    // "Something failed, please sign again": the same coins, another amount.
    const again = {
      ...parts,
      change: parts.change && { ...parts.change, valueSat: parts.change.valueSat - 5_000n },
      batchId: 'retry',
    };
    expect((await refuse(buildPackage(scenario, again).toBuffer(), scenario.homes.bob)).code).toBe(
      'LEDGER_OUTPOINT_REUSED',
    );

    // The same requests paid again from other coins.
    const funding = fundingTransaction(scenario.wallet, [100_000_000n], 40);
    const otherCoins = {
      ...parts,
      coins: [{ previousTx: funding, vout: 0, branch: 0 as const, index: 40 }],
      change: { index: 1, valueSat: 100_000_000n - 50_000_000n - 20_000n },
      batchId: 'twice',
    };
    expect((await refuse(buildPackage(scenario, otherCoins).toBuffer(), scenario.homes.bob)).code).toBe(
      'LEDGER_REQUEST_PAID',
    );

    // A declared fee bump with a lower fee is refused; with a higher fee it is signed.
    const txid = signed.json<{ txid: string }>().txid;
    const lower = {
      ...parts,
      change: parts.change && { ...parts.change, valueSat: parts.change.valueSat + 5_000n },
      bumps: txid,
      batchId: 'bump-low',
    };
    expect((await refuse(buildPackage(scenario, lower).toBuffer(), scenario.homes.bob)).code).toBe(
      'LEDGER_OUTPOINT_REUSED',
    );
    const higher = {
      ...parts,
      change: parts.change && { ...parts.change, valueSat: parts.change.valueSat - 30_000n },
      bumps: txid,
      batchId: 'bump',
    };
    const bumpFile = writePackage(dir, 'bump.psbt', buildPackage(scenario, higher).toBuffer());
    const bumped = await runSign(scenario, scenario.homes.bob, bumpFile);
    expect(bumped.code).toBe(0);
    expect(bumped.json<{ replay: string }>().replay).toBe('bump');
  });

  it('names the first bad position of an edited ledger', async () => {
    const { readFileSync, chmodSync } = await import('node:fs');
    const path = join(scenario.homes.carol, 'ledger.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[1] = (lines[1] ?? '').replace('"policy"', '"policy "');
    chmodSync(path, 0o600);
    writeFileSync(path, lines.join('\n'));
    const run = await kura(['signer', 'ledger', 'verify', '--home', scenario.homes.carol, '--json']);
    const out = JSON.parse(run.stdout) as { error: { code: string; details: { position: number } } };
    expect(out.error.code).toBe('LEDGER_CORRUPT');
    expect(out.error.details.position).toBe(2);
  });
});

describe('the reference package', () => {
  it('is itself acceptable (so every refusal above is caused by its tampering)', async () => {
    const psbt = Psbt.fromBuffer(tampered(noop));
    const file = writePackage(scenario.dir, 'reference.psbt', psbt.toBuffer());
    const run = await runSign(scenario, scenario.homes.alice, file);
    expect(run.code).toBe(0);
  });
});
