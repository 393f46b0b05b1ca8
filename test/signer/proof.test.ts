// The signer and proofs of reserves (BIP-127): a proof package is recognised, shown as a proof,
// signed without approvals and recorded as a 'proof' ledger entry; anything that only looks like
// a proof — or a withdrawal carrying a commitment field — is refused with its own code and leaves
// no signed file and no ledger entry; and a coin used in a proof can still be withdrawn.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { address, networks, Psbt, Transaction } from 'bitcoinjs-lib';
import { hexToBytes } from '@noble/hashes/utils.js';
import { WalletDeriver, type DerivedAddress } from '../../src/bitcoin/addresses.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { globalXpubs } from '../../src/artifacts/buildPackage.js';
import {
  buildProofPackage,
  commitmentHash,
  commitmentTxid,
  POR_PREFIX,
} from '../../src/artifacts/buildProof.js';
import {
  OutputSubtype,
  proprietaryKey,
  writePackage as writeKuraFields,
  type PackageHeader,
} from '../../src/artifacts/kuraFields.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { readLedger, type ProofEntryData } from '../../src/signer/ledger.js';
import { kura, type KuraRun } from '../helpers/cli.js';
import {
  approve,
  buildPackage,
  fundingTransaction,
  makeRequest,
  runSign,
  setUpScenario,
  signOk,
  testDestination,
  validParts,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';

let scenario: Scenario;
let deriver: WalletDeriver;
let counter = 0;

const MESSAGE = 'ACME Custody — block 440 ' + 'ab'.repeat(32);
const COINS_SAT = [100_000_000n, 250_000_000n];

beforeAll(async () => {
  scenario = await setUpScenario();
  deriver = new WalletDeriver(scenario.wallet.wallet);
}, 120_000);

function header(overrides: Partial<PackageHeader> = {}): PackageHeader {
  return {
    version: 1,
    purpose: 'reserves',
    batchId: 'reserves-440',
    walletId: scenario.wallet.id,
    policyHash: scenario.policyHash,
    ...overrides,
  };
}

function derivations(derived: DerivedAddress) {
  return derived.keys.map((k) => ({
    masterFingerprint: hexToBytes(k.fingerprint),
    pubkey: k.publicKey,
    path: `m/${k.path.map((s) => (s >= 0x80000000 ? `${s - 0x80000000}'` : `${s}`)).join('/')}`,
  }));
}

interface Craft {
  /** The PSBT_IN_POR_COMMITMENT value; `null` leaves the field out. */
  porCommitment?: string | null;
  /** The first input's outpoint (default: the commitment of `porCommitment`, index 0). */
  commitment?: { hash: Uint8Array; index: number };
  /** Outputs instead of the single one paying everything to /0/0. */
  outputs?: { script: Uint8Array; value: bigint; derived?: DerivedAddress }[];
  /** Put a commitment field on input 1 too. */
  porOnInput1?: boolean;
  header?: Partial<PackageHeader>;
  /** The coins' previous transaction. */
  funding?: Uint8Array;
  /** The index the coins' derivations claim (default /0/i, where their script is). */
  claimIndex?: (i: number) => number;
}

/**
 * A proof package built by hand, so that one thing at a time can be wrong. With no options it is
 * byte for byte what buildProofPackage makes (a test below proves it), so a refusal of a crafted
 * package is a refusal of exactly the change made.
 */
function craft(
  options: Craft = {},
  funding = options.funding ?? fundingTransaction(scenario.wallet, COINS_SAT),
): Psbt {
  const por = options.porCommitment === undefined ? MESSAGE : options.porCommitment;
  const tx = Transaction.fromBuffer(funding);
  const psbt = new Psbt({ network: networkInfo('regtest').bitcoinjs });
  psbt.setVersion(2);
  psbt.setLocktime(0);
  psbt.updateGlobal({ globalXpub: globalXpubs(scenario.wallet.wallet) });
  const first = options.commitment ?? { hash: commitmentHash(por ?? MESSAGE), index: 0 };
  psbt.addInput({ hash: first.hash, index: first.index, sequence: 0xffffffff });
  if (por !== null) psbt.updateInput(0, { porCommitment: por });
  tx.outs.forEach((_, i) => psbt.addInput({ hash: tx.getHash(), index: i, sequence: 0xffffffff }));
  let total = 0n;
  tx.outs.forEach((out, i) => {
    const derived = deriver.derive(0, i);
    total += out.value;
    psbt.updateInput(i + 1, {
      nonWitnessUtxo: funding,
      witnessUtxo: { script: out.script, value: out.value },
      witnessScript: derived.witnessScript,
      bip32Derivation: derivations(deriver.derive(0, options.claimIndex?.(i) ?? i)),
    });
  });
  if (options.porOnInput1) psbt.updateInput(1, { porCommitment: MESSAGE });
  const pay = deriver.derive(0, 0);
  const outputs = options.outputs ?? [{ script: pay.scriptPubKey, value: total, derived: pay }];
  outputs.forEach((o, i) => {
    psbt.addOutput({ script: o.script, value: o.value });
    if (o.derived !== undefined)
      psbt.updateOutput(i, {
        witnessScript: o.derived.witnessScript,
        bip32Derivation: derivations(o.derived),
      });
  });
  writeKuraFields(psbt, { header: header(options.header), requests: [], approvals: [], outputs: new Map() });
  return psbt;
}

function caseDir(): string {
  const dir = join(scenario.dir, `proof-case-${++counter}`);
  mkdirSync(dir);
  return dir;
}

function errorOf(run: KuraRun): string | undefined {
  return (JSON.parse(run.stdout) as { error?: { code: string } }).error?.code;
}

/** Signs as `home` and expects a refusal that leaves no signed file and no ledger entry. */
async function refuse(psbt: Psbt, home = scenario.homes.alice): Promise<string | undefined> {
  const dir = caseDir();
  const file = writePackage(dir, 'proof.psbt', psbt.toBuffer());
  const before = readLedger(home).length;
  const run = await runSign(scenario, home, file);
  expect(run.code).not.toBe(0);
  expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
  expect(readLedger(home).length).toBe(before);
  expect(readdirSync(dir).filter((f) => f.endsWith('.signed.psbt'))).toEqual([]);
  return errorOf(run);
}

describe('the BIP-127 commitment', () => {
  it('is the raw SHA-256 of "Proof-of-Reserves: " + message in the outpoint, shown reversed as a txid', () => {
    // Computed here with node:crypto, independently of @noble/hashes.
    const digest = createHash('sha256').update(`Proof-of-Reserves: ${MESSAGE}`, 'utf8').digest();
    expect(POR_PREFIX).toBe('Proof-of-Reserves: ');
    expect(Buffer.from(commitmentHash(MESSAGE)).toString('hex')).toBe(digest.toString('hex'));
    expect(commitmentTxid(MESSAGE)).toBe(Buffer.from(digest).reverse().toString('hex'));
    const psbt = buildProofPackage({
      wallet: scenario.wallet.wallet,
      header: header(),
      message: MESSAGE,
      coins: [{ previousTx: fundingTransaction(scenario.wallet, [1000n]), vout: 0, branch: 0, index: 0 }],
      output: { branch: 0, index: 0 },
    });
    const unsigned = Transaction.fromBuffer(psbt.data.globalMap.unsignedTx.toBuffer());
    // The serialized outpoint holds the digest as is; getId-style display reverses it.
    expect(Buffer.from(unsigned.ins[0]?.hash ?? []).toString('hex')).toBe(digest.toString('hex'));
    expect(unsigned.ins[0]?.index).toBe(0);
    // PSBT_IN_POR_COMMITMENT: key 0x09 alone, value the UTF-8 message.
    const raw = Buffer.from(psbt.toBuffer());
    const field = Buffer.concat([
      Buffer.from([0x01, 0x09]),
      Buffer.from([Buffer.byteLength(MESSAGE)]),
      Buffer.from(MESSAGE),
    ]);
    expect(raw.includes(field)).toBe(true);
  });

  it('crafted packages start from exactly what buildProofPackage makes', () => {
    const funding = fundingTransaction(scenario.wallet, COINS_SAT);
    const built = buildProofPackage({
      wallet: scenario.wallet.wallet,
      header: header(),
      message: MESSAGE,
      coins: COINS_SAT.map((_, i) => ({ previousTx: funding, vout: i, branch: 0 as const, index: i })),
      output: { branch: 0, index: 0 },
    });
    expect(craft({}, funding).toBase64()).toBe(built.toBase64());
  });
});

describe('signing a proof of reserves', () => {
  it('shows it as a proof, signs it without approvals and records a proof entry', async () => {
    const dir = caseDir();
    const file = writePackage(dir, 'proof.psbt', craft().toBuffer());
    const before = readLedger(scenario.homes.bob).length;
    const run = await signOk(scenario, scenario.homes.bob, file);
    const out = run.json<{
      purpose: string;
      coins: number;
      totalSat: string;
      message: string;
      signedPath: string;
      txid: string;
    }>();
    expect(out).toMatchObject({ purpose: 'reserves', coins: 2, totalSat: '350000000', message: MESSAGE });
    expect(run.said).toContain('PROOF OF RESERVES');
    expect(run.said).toContain(JSON.stringify(MESSAGE));
    expect(run.said).toContain('Coins: 2, total 3.50000000 BTC');
    expect(run.said).toContain('No approvals are needed');

    const signed = decodePsbt(readFileSync(out.signedPath));
    expect(signed.data.inputs[0]?.partialSig).toBeUndefined();
    for (const input of signed.data.inputs.slice(1)) {
      expect(input.partialSig).toHaveLength(1);
      expect(input.partialSig?.[0]?.signature.at(-1)).toBe(Transaction.SIGHASH_ALL);
    }

    const ledger = readLedger(scenario.homes.bob);
    expect(ledger).toHaveLength(before + 1);
    const entry = ledger.at(-1);
    expect(entry?.type).toBe('proof');
    const data = entry?.data as ProofEntryData;
    expect(data).toMatchObject({ txid: out.txid, message: MESSAGE, coins: 2, totalSat: '350000000' });
    expect(data.outpoints).toHaveLength(2);

    // The same proof again: nothing new in the ledger.
    const again = await signOk(scenario, scenario.homes.bob, file);
    expect(again.json<{ replay: string }>().replay).toBe('same');
    expect(readLedger(scenario.homes.bob)).toHaveLength(before + 1);

    const shown = await kura(['signer', 'ledger', 'show', '--home', scenario.homes.bob]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/proof\s+proof of reserves [0-9a-f]{64}: 2 coins, 350000000 sats/);
  });

  it('does not let a proof entry block a later withdrawal of the same coins', async () => {
    const home = scenario.homes.carol;
    const funding = fundingTransaction(scenario.wallet, [100_000_000n, 100_000_000n]);
    const proofFile = writePackage(caseDir(), 'proof.psbt', craft({}, funding).toBuffer());
    await signOk(scenario, home, proofFile);

    const parts = {
      ...validParts(scenario),
      coins: [
        { previousTx: funding, vout: 0, branch: 0 as const, index: 0 },
        { previousTx: funding, vout: 1, branch: 0 as const, index: 1 },
      ],
    };
    const withdrawal = writePackage(caseDir(), 'batch.psbt', buildPackage(scenario, parts).toBuffer());
    const run = await signOk(scenario, home, withdrawal);
    expect(run.json<{ inputs: number }>().inputs).toBe(2);

    // The ledger still guards spends: another withdrawal of the same coin is refused.
    const request = makeRequest(scenario, 10_000_000n, testDestination(301));
    const other = buildPackage(scenario, {
      coins: [{ previousTx: funding, vout: 0, branch: 0, index: 0 }],
      requests: [request],
      approvals: [approve(request, 0), approve(request, 1)],
      change: { index: 1, valueSat: 100_000_000n - 10_000_000n - 10_000n },
      batchId: 'batch-other',
    });
    const refused = await runSign(scenario, home, writePackage(caseDir(), 'other.psbt', other.toBuffer()));
    expect(errorOf(refused)).toBe('LEDGER_OUTPOINT_REUSED');

    // A proof may still include a coin this signer signed away: it is shown, not refused.
    const later = await signOk(
      scenario,
      home,
      writePackage(
        caseDir(),
        'proof2.psbt',
        craft({ header: { batchId: 'reserves-441' } }, funding).toBuffer(),
      ),
    );
    expect(later.said).toContain('2 of these coins were signed away in withdrawals before');
  });
});

describe('what only looks like a proof is refused', () => {
  const foreign = () => address.toOutputScript(testDestination(9), networks.regtest);

  const cases: { description: string; make: () => Psbt; code: string }[] = [
    {
      description: 'a reserves package without PSBT_IN_POR_COMMITMENT',
      make: () => craft({ porCommitment: null }),
      code: 'PROOF_COMMITMENT_MISSING',
    },
    {
      description: 'a commitment field whose message is not the one the outpoint commits to',
      make: () => craft({ commitment: { hash: commitmentHash('ACME Custody — another message'), index: 0 } }),
      code: 'PROOF_COMMITMENT_MISMATCH',
    },
    {
      description: 'the commitment with index 1 instead of 0',
      make: () => craft({ commitment: { hash: commitmentHash(MESSAGE), index: 1 } }),
      code: 'PROOF_COMMITMENT_MISMATCH',
    },
    {
      description: 'the commitment digest in display (reversed) byte order',
      make: () =>
        craft({ commitment: { hash: Uint8Array.from(commitmentHash(MESSAGE)).reverse(), index: 0 } }),
      code: 'PROOF_COMMITMENT_MISMATCH',
    },
    {
      description: 'a real coin in the commitment position',
      make: () =>
        craft({
          commitment: {
            hash: Transaction.fromBuffer(fundingTransaction(scenario.wallet, [5n])).getHash(),
            index: 0,
          },
        }),
      code: 'PROOF_COMMITMENT_MISMATCH',
    },
    {
      description: 'a commitment field on a coin input too',
      make: () => craft({ porOnInput1: true }),
      code: 'PROOF_COMMITMENT_UNEXPECTED',
    },
    {
      description: 'a fee taken from the coins',
      make: () => {
        const pay = deriver.derive(0, 0);
        return craft({
          outputs: [{ script: pay.scriptPubKey, value: 350_000_000n - 10_000n, derived: pay }],
        });
      },
      code: 'PROOF_OUTPUT_INVALID',
    },
    {
      description: 'the output to a foreign address',
      make: () => craft({ outputs: [{ script: foreign(), value: 350_000_000n }] }),
      code: 'PROOF_OUTPUT_INVALID',
    },
    {
      description: 'a foreign script claiming a wallet derivation',
      make: () =>
        craft({
          outputs: [
            { script: deriver.derive(0, 7).scriptPubKey, value: 350_000_000n, derived: deriver.derive(0, 8) },
          ],
        }),
      code: 'PROOF_OUTPUT_INVALID',
    },
    {
      description: 'an extra output',
      make: () => {
        const pay = deriver.derive(0, 0);
        return craft({
          outputs: [
            { script: pay.scriptPubKey, value: 350_000_000n, derived: pay },
            { script: pay.scriptPubKey, value: 0n, derived: pay },
          ],
        });
      },
      code: 'PROOF_OUTPUT_INVALID',
    },
    {
      description: 'a coin that does not re-derive from the wallet',
      make: () => craft({ claimIndex: (i) => i + 5 }),
      code: 'INPUT_NOT_OURS',
    },
    {
      description: 'a message with a control character',
      make: () => {
        const message = 'ACME Custody\u001b[2J';
        return craft({ porCommitment: message, commitment: { hash: commitmentHash(message), index: 0 } });
      },
      code: 'PROOF_MESSAGE_INVALID',
    },
    {
      description: 'a proof under another policy',
      make: () => craft({ header: { policyHash: '11'.repeat(32) } }),
      code: 'POLICY_HASH_MISMATCH',
    },
    {
      description: 'a proof for another wallet',
      make: () => craft({ header: { walletId: '22'.repeat(32) } }),
      code: 'PACKAGE_WALLET_MISMATCH',
    },
    {
      description: 'a proof declaring a fee bump',
      make: () => craft({ header: { bumps: '33'.repeat(32) } }),
      code: 'PACKAGE_INVALID',
    },
  ];

  it.each(cases)('$description: $code', async ({ make, code }) => {
    expect(await refuse(make())).toBe(code);
  });

  it('a withdrawal package carrying a commitment field: PROOF_COMMITMENT_UNEXPECTED', async () => {
    const psbt = buildPackage(scenario, validParts(scenario));
    psbt.updateInput(1, { porCommitment: MESSAGE });
    expect(await refuse(psbt)).toBe('PROOF_COMMITMENT_UNEXPECTED');
  });

  it('a proof package that pays a request: PACKAGE_INVALID', async () => {
    const psbt = craft();
    const request = makeRequest(scenario, 350_000_000n, deriver.derive(0, 0).address);
    psbt.addUnknownKeyValToOutput(0, {
      key: proprietaryKey(OutputSubtype.requestId),
      value: hexToBytes(request.requestId),
    });
    expect(await refuse(psbt)).toBe('PACKAGE_INVALID');
  });
});
