// Bad input everywhere (faults issue, part 5), for PSBT files: a valid signing package from the
// signer scenario, and the signed files two signers made of it, mutated byte by byte — bit flips,
// bytes set, truncations, insertions, deletions, repeated runs, edits aimed inside the kura fields,
// the unsigned transaction and an input's previous transaction, and key-value pairs duplicated
// (exactly, or with another value) — in binary and in base64. Each goes through everything a
// signer does before it asks to sign (decodePsbt, then reviewPackage or reviewProof) and through
// the coordinator's import of signed files. The only outcomes allowed are a result or a typed
// refusal with its code (not INTERNAL); a package the signer still accepts pays exactly what the
// original paid; an import refused changes nothing in the store (audit head, signatures).
// `kura signer sign` runs on a few of them too: no exit code 1, no stack trace, no file written and
// no ledger entry on a refusal.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import * as varuint from 'varuint-bitcoin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../src/artifacts/kuraFields.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { importSignedPsbts } from '../../src/coordinator/batch/index.js';
import { ERROR_CODES, ExitCode } from '../../src/errors.js';
import { ledgerPath } from '../../src/signer/ledger.js';
import { reviewPackage, type Review, type SignerState } from '../../src/signer/review.js';
import { reviewProof } from '../../src/signer/reviewProof.js';
import { loadSignerState } from '../../src/signer/signCeremony.js';
import { tempDir } from '../helpers/cli.js';
import {
  buildPackage,
  NOW,
  runSign,
  setUpScenario,
  signOk,
  validParts,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';
import { auditHead, makeIntakeHome, type IntakeHome } from '../coordinator/intake-fixture.js';
import {
  applyByteEdit,
  byteEdit,
  editWithin,
  FUZZ_SEED,
  fuzzRuns,
  outcome,
  Tally,
  utf8,
  type ByteEdit,
} from './mutate.js';

const REVIEW_RUNS = fuzzRuns(1_000);
const DUPLICATE_RUNS = fuzzRuns(100);
const IMPORT_RUNS = fuzzRuns(600);
const CLI_RUNS = fuzzRuns(20);

let scenario: Scenario;
let state: SignerState;
let reference: Review;
/** The package, and the files alice and bob signed of it. */
let files: { package: Target; alice: Target; bob: Target };
/** The master fingerprints of alice's and bob's keys, from their signing receipts. */
let fingerprints: { alice: string; bob: string };

interface Pair {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** As it sits in a PSBT map: compact size and key, compact size and value. */
  readonly encoded: Uint8Array;
}

function pair(key: Uint8Array, value: Uint8Array): Pair {
  const encoded = Uint8Array.from([
    ...varuint.encode(key.length).buffer,
    ...key,
    ...varuint.encode(value.length).buffer,
    ...value,
  ]);
  return { key, value, encoded };
}

/** Where `piece` sits in `bytes` as [start, end), or undefined. */
function rangeOf(bytes: Uint8Array, piece: Uint8Array): [number, number] | undefined {
  const at = Buffer.from(bytes).indexOf(Buffer.from(piece));
  return at < 0 ? undefined : [at, at + piece.length];
}

/**
 * The pairs of a file this test knows how to find: the unsigned transaction, kura's proprietary
 * fields, the first input's previous transaction, witness script and partial signatures.
 */
function knownPairs(psbt: Psbt): Pair[] {
  const found: Pair[] = [
    pair(Uint8Array.of(0x00), psbt.data.globalMap.unsignedTx.toBuffer()),
    ...(psbt.data.globalMap.unknownKeyVals ?? []).map((kv) => pair(kv.key, kv.value)),
    ...psbt.data.outputs.flatMap((o) => (o.unknownKeyVals ?? []).map((kv) => pair(kv.key, kv.value))),
  ];
  const input = psbt.data.inputs[0];
  if (input?.nonWitnessUtxo !== undefined) found.push(pair(Uint8Array.of(0x00), input.nonWitnessUtxo));
  if (input?.witnessScript !== undefined) found.push(pair(Uint8Array.of(0x05), input.witnessScript));
  for (const p of input?.partialSig ?? []) found.push(pair(Uint8Array.of(0x02, ...p.pubkey), p.signature));
  return found;
}

/** A file to mutate, with its known pairs and where they sit. */
interface Target {
  readonly bytes: Uint8Array;
  readonly pairs: readonly Pair[];
  readonly regions: readonly [number, number][];
}

function target(bytes: Uint8Array): Target {
  const pairs = knownPairs(decodePsbt(bytes));
  const regions = pairs.map((p) => rangeOf(bytes, p.encoded));
  if (regions.some((r) => r === undefined)) throw new Error('a pair of the file was not found in its bytes');
  return { bytes, pairs, regions: regions as [number, number][] };
}

/** The file with one of its pairs repeated right after it: the same value, or one byte changed. */
function withDuplicate(t: Target, which: number, change: readonly [number, number] | undefined): Uint8Array {
  const index = which % t.pairs.length;
  const { key, value } = t.pairs[index] as Pair;
  const [, end] = t.regions[index] as [number, number];
  const other = Uint8Array.from(value);
  if (change !== undefined && other.length > 0) {
    const i = change[0] % other.length;
    other[i] = (other[i] as number) ^ change[1];
  }
  return Uint8Array.from([
    ...t.bytes.subarray(0, end),
    ...pair(key, other).encoded,
    ...t.bytes.subarray(end),
  ]);
}

const duplicateArb = fc.record({
  which: fc.nat(),
  change: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { nil: undefined }),
});

/**
 * A mutation: byte edits anywhere or aimed inside the known pairs, sometimes after a pair was
 * repeated; sent as binary, as base64 of the edited bytes, or as base64 text edited itself.
 */
interface Mutation {
  readonly encoding: 'binary' | 'base64' | 'base64 text';
  readonly duplicate: { readonly which: number; readonly change: [number, number] | undefined } | undefined;
  readonly edits: readonly ByteEdit[];
}

function mutations(t: Target): fc.Arbitrary<Mutation> {
  const anywhere = fc.array(byteEdit, { minLength: 1, maxLength: 3 });
  const aimed = fc.array(editWithin(t.regions), { minLength: 1, maxLength: 3 });
  return fc.record({
    encoding: fc.constantFrom(
      'binary' as const,
      'binary' as const,
      'base64' as const,
      'base64 text' as const,
    ),
    duplicate: fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: duplicateArb },
    ),
    edits: fc.oneof({ weight: 1, arbitrary: anywhere }, { weight: 2, arbitrary: aimed }),
  });
}

function mutated(t: Target, m: Mutation): Uint8Array {
  const bytes = m.duplicate === undefined ? t.bytes : withDuplicate(t, m.duplicate.which, m.duplicate.change);
  if (m.encoding === 'base64 text') return m.edits.reduce(applyByteEdit, base64Of(bytes));
  const edited = m.edits.reduce(applyByteEdit, bytes);
  return m.encoding === 'base64' ? base64Of(edited) : edited;
}

const base64Of = (bytes: Uint8Array) => utf8(Buffer.from(bytes).toString('base64'));

/** Reviews like `kura signer sign` does: a proof by reviewProof, anything else by reviewPackage. */
function review(bytes: Uint8Array): Review | 'proof' {
  const psbt = decodePsbt(bytes);
  if (readPackage(psbt).header.purpose === 'reserves') {
    reviewProof(psbt, state);
    return 'proof';
  }
  return reviewPackage(psbt, state, NOW);
}

/** The payments a review found: output, request, destination script and amount. */
function paymentsOf(r: Review): string[] {
  return r.payments.map((p) =>
    [
      p.outputIndex,
      p.request.requestId,
      Buffer.from(p.request.scriptPubKey).toString('hex'),
      p.request.amountSat,
    ].join(' '),
  );
}

/**
 * What a package the signer still accepts may differ in: change and fee may move between each
 * other within the policy's caps (a smaller change is a larger fee), nothing else that pays.
 */
function expectSamePayments(r: Review): void {
  expect(paymentsOf(r)).toEqual(paymentsOf(reference));
  expect(r.totalInSat).toBe(reference.totalInSat);
  expect(r.feeSat).toBe(r.totalInSat - r.totalOutSat);
  expect(r.feeSat <= state.policy.policy.fees.maxFeeSat).toBe(true);
  expect(r.change.every((c) => c.valueSat > 0n)).toBe(true);
}

beforeAll(async () => {
  scenario = await setUpScenario();
  state = loadSignerState(scenario.homes.alice);
  const original = buildPackage(scenario, validParts(scenario)).toBuffer();
  const reviewed = review(original);
  if (reviewed === 'proof') throw new Error('the reference package is not a withdrawal');
  reference = reviewed;
  const dir = tempDir('kura-fuzz-psbt-');
  const file = writePackage(dir, 'batch-1.psbt', original);
  const signedBy = async (who: 'alice' | 'bob') => {
    const run = await signOk(scenario, scenario.homes[who], file);
    const out = run.json<{ signedPath: string; receipt: { fingerprint: string } }>();
    return { file: target(readFileSync(out.signedPath)), fingerprint: out.receipt.fingerprint };
  };
  const [alice, bob] = [await signedBy('alice'), await signedBy('bob')];
  files = { package: target(original), alice: alice.file, bob: bob.file };
  fingerprints = { alice: alice.fingerprint, bob: bob.fingerprint };
}, 180_000);

describe('PSBT packages through the signer review', () => {
  it('mutated packages are refused with a code, or pay exactly the approved requests within the fee caps', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(mutations(files.package), (m) => {
        const result = outcome(() => review(mutated(files.package, m)));
        tally.add(result);
        expect(result.ok && result.value === 'proof').toBe(false);
        if (result.ok && result.value !== 'proof') expectSamePayments(result.value);
      }),
      { seed: FUZZ_SEED, numRuns: REVIEW_RUNS },
    );
    expect(tally.cases).toBe(REVIEW_RUNS);
    console.info(`fuzz signer review: ${tally}`);
  });

  it('a key-value pair repeated, with the same or another value, is refused', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(duplicateArb, fc.boolean(), ({ which, change }, base64) => {
        const bytes = withDuplicate(files.package, which, change);
        const result = outcome(() => review(base64 ? base64Of(bytes) : bytes));
        tally.add(result);
        expect(result.ok).toBe(false);
      }),
      { seed: FUZZ_SEED, numRuns: DUPLICATE_RUNS },
    );
    console.info(`fuzz duplicated PSBT pairs: ${tally}`);
  });
});

describe('amounts outside 0–21e14 sats (bitcoinjs-lib reads them as signed 64-bit integers)', () => {
  /** The file with the 8 value bytes of `pairOrOutput` replaced: the top byte set to `top`. */
  function withValueTop(bytes: Uint8Array, valueAndScript: Uint8Array, prefix: Uint8Array, top: number) {
    const needle = Buffer.from([...prefix, ...valueAndScript]);
    const at = Buffer.from(bytes).indexOf(needle);
    expect(at).toBeGreaterThanOrEqual(0);
    const out = Uint8Array.from(bytes);
    out[at + prefix.length + 7] = top;
    return out;
  }
  const serialized = (value: bigint, script: Uint8Array) => {
    const v = Buffer.alloc(8);
    v.writeBigUInt64LE(value);
    return Uint8Array.from([...v, ...varuint.encode(script.length).buffer, ...script]);
  };

  it.each([
    { top: 0x80, what: 'negative when read signed' },
    { top: 0x7f, what: 'positive and above 21e14 sats' },
  ])(
    'an output of the unsigned transaction $what is PSBT_MALFORMED, for the signer and the coordinator',
    ({ top }) => {
      const psbt = decodePsbt(files.package.bytes);
      const change = psbt.txOutputs[2];
      if (change === undefined) throw new Error('no change output');
      const bytes = withValueTop(
        files.package.bytes,
        serialized(change.value, change.script),
        new Uint8Array(),
        top,
      );
      expect(outcome(() => review(bytes))).toEqual({ ok: false, code: 'PSBT_MALFORMED' });
      const signedBytes = withValueTop(
        files.alice.bytes,
        serialized(change.value, change.script),
        new Uint8Array(),
        top,
      );
      const fixture = makeIntakeHome();
      try {
        const head = auditHead(fixture.home);
        expect(importSignedPsbts(fixture.home, [signedBytes]).files[0]?.refusal?.code).toBe('PSBT_MALFORMED');
        expect(auditHead(fixture.home)).toBe(head);
      } finally {
        fixture.close();
      }
    },
  );

  it('a witness UTXO of such an amount is PSBT_MALFORMED', () => {
    const input = decodePsbt(files.package.bytes).data.inputs[0];
    if (input?.witnessUtxo === undefined) throw new Error('no witness UTXO');
    const { value, script } = input.witnessUtxo;
    // the pair: key length 1, key 0x01 (PSBT_IN_WITNESS_UTXO), value length
    const valueBytes = serialized(value, script);
    const prefix = Uint8Array.from([1, 0x01, ...varuint.encode(valueBytes.length).buffer]);
    const bytes = withValueTop(files.package.bytes, valueBytes, prefix, 0x80);
    expect(outcome(() => review(bytes))).toEqual({ ok: false, code: 'PSBT_MALFORMED' });
  });
});

describe('signed files through the coordinator import', () => {
  let fixture: IntakeHome;
  const batchId = 'fuzz-batch';

  beforeAll(() => {
    fixture = makeIntakeHome();
    expect(fixture.walletId).toBe(scenario.wallet.id);
    fixture.home.store.insertBatch({
      batchId,
      psbt: files.package.bytes,
      txid: reference.txid,
      feeSat: reference.feeSat,
      feeRateSatVb: 1,
    });
  });
  afterAll(() => fixture?.close());

  it('a refused file changes nothing; an accepted one adds only real signatures of its cosigner', () => {
    const { store } = fixture.home;
    const tally = new Tally();
    const signatures = () => store.batchSignatures(batchId).map((s) => s.fingerprint);
    fc.assert(
      fc.property(
        fc
          .constantFrom('alice' as const, 'bob' as const)
          .chain((who) => mutations(files[who]).map((m) => [who, m] as const)),
        ([who, m]) => {
          const head = auditHead(fixture.home);
          const before = signatures();
          const report = importSignedPsbts(fixture.home, [mutated(files[who], m)]);
          const file = report.files[0];
          expect(report.files).toHaveLength(1);
          if (file?.refusal != null) {
            tally.add({ ok: false, code: file.refusal.code });
            expect(Object.keys(ERROR_CODES)).toContain(file.refusal.code);
            expect(file.refusal.code).not.toBe('INTERNAL');
            expect(auditHead(fixture.home)).toBe(head);
            expect(signatures()).toEqual(before);
            return;
          }
          tally.add({ ok: true, value: file });
          expect(file?.cosigners.map((c) => c.fingerprint)).toEqual([fingerprints[who]]);
          // accepted: the signatures were checked against the built transaction, and nothing but
          // a new cosigner's signatures (and what they finalize) moves the store
          const added = file?.cosigners.some((c) => c.added) ?? false;
          if (!added) expect(auditHead(fixture.home)).toBe(head);
          expect(signatures().length).toBe(before.length + (added ? 1 : 0));
        },
      ),
      { seed: FUZZ_SEED, numRuns: IMPORT_RUNS },
    );
    // the unmutated files are accepted, so the batch ends finalized with the built transaction
    importSignedPsbts(fixture.home, [files.alice.bytes, files.bob.bytes]);
    const batch = store.batchById(batchId);
    expect(batch?.state).toBe('finalized');
    expect(Transaction.fromBuffer(batch?.finalTx ?? new Uint8Array()).getId()).toBe(reference.txid);
    expect(signatures().sort()).toEqual([fingerprints.alice, fingerprints.bob].sort());
    expect(store.verifyAudit().entries).toBeGreaterThan(0);
    console.info(`fuzz coordinator import: ${tally}`);
  });
});

describe('kura signer sign on mutated files', () => {
  it('refuses with a documented exit code, writes nothing and records nothing', async () => {
    const dir = tempDir('kura-fuzz-sign-');
    const ledger = () => readFileSync(ledgerPath(scenario.homes.carol));
    const exits = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutations(files.package), async (m) => {
        const before = ledger();
        const listed = readdirSync(dir);
        const path = join(dir, 'mutated.psbt');
        writeFileSync(path, mutated(files.package, m));
        const run = await runSign(scenario, scenario.homes.carol, path);
        exits.set(run.code, (exits.get(run.code) ?? 0) + 1);
        expect(run.code, run.stdout).not.toBe(ExitCode.internal);
        expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
        if (run.code !== 0) {
          expect(Buffer.compare(ledger(), before)).toBe(0);
          // nothing new in the folder but the file the test wrote: no signed file, no temp file
          expect(readdirSync(dir).sort()).toEqual([...new Set([...listed, 'mutated.psbt'])].sort());
        }
      }),
      { seed: FUZZ_SEED, numRuns: CLI_RUNS },
    );
    console.info(
      `fuzz kura signer sign: ${CLI_RUNS} runs, exit codes ${[...exits].map(([c, n]) => `${c}×${n}`).join(', ')}`,
    );
  });
});
