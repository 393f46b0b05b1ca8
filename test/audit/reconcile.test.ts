// Reconciling signer ledgers with the coordinator's log. First the rules one by one on small
// hand-made chains (each finding kind from its own story), then the whole path for real: signers
// restored from the public test mnemonics sign a batch the coordinator logged, the log and the
// ledgers are exported with the CLI, and reconcile agrees — until a signer signs something the
// coordinator never built, or a ledger is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { appendEntry, type ChainEntry } from '../../src/artifacts/hashChain.js';
import { walletFileFor, type LoadedWallet } from '../../src/artifacts/walletFile.js';
import { verifyLogLines } from '../../src/audit/log/index.js';
import { reconcile, type FindingKind } from '../../src/audit/reconcile/index.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { isKuraError } from '../../src/errors.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { errorCode, kura } from '../helpers/cli.js';
import { buildPackage, setUpScenario, signOk, validParts, writePackage } from '../helpers/scenario.js';
import { initCoordinator } from './coordinatorFixture.js';

// ---- the rules, on hand-made chains -------------------------------------------------------

const keys = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
  accountKeyFromMaster(masterFromSeed(mnemonicToSeed(m, ''), 'regtest'), 'regtest', 0),
);
const multisig = makeMultisigWallet(2, keys, 'regtest');
const walletFile = walletFileFor('demo', multisig);
const wallet: LoadedWallet = { name: 'demo', id: walletFile.walletId, wallet: multisig, file: walletFile };
const [FP_A, FP_B, FP_C] = multisig.keys.map((k) => k.origin.fingerprint) as [string, string, string];
const W = wallet.id;
const R1 = '1'.repeat(64);
const R2 = '2'.repeat(64);
const T1 = 'a1'.repeat(32);
const T2 = 'b2'.repeat(32);

type Event = readonly [type: string, data: Record<string, unknown>];

function chainOf(events: readonly Event[]): ChainEntry[] {
  const chain: ChainEntry[] = [];
  events.forEach(([type, data], i) => chain.push(appendEntry(chain, type, data, 1_750_000_000 + i)));
  return chain;
}

const verified = (chain: readonly ChainEntry[]) => verifyLogLines(chain.map((e) => JSON.stringify(e)));

/** The coordinator's story of one batch b1 paying r1 and r2, signed by A and B, broadcast. */
/** The honest ledgers, plus carol's signature of proof-of-reserves package por-1 (txid T2). */
function withProof(): Record<string, readonly Event[]> {
  return {
    ...honest(),
    c: [
      [
        'proof',
        {
          txid: T2,
          batchId: 'por-1',
          walletId: W,
          fingerprint: FP_C,
          message: 'm',
          coins: 1,
          totalSat: '5',
          outpoints: [],
        },
      ],
    ],
  };
}

function story(): Event[] {
  return [
    [
      'coordinator.init',
      {
        network: 'regtest',
        walletId: W,
        policyHash: 'b'.repeat(64),
        birthdayHeight: 0,
        descriptor: walletFile.descriptor,
      },
    ],
    ['request.create', { requestId: R1, amountSat: '1000' }],
    ['request.create', { requestId: R2, amountSat: '2000' }],
    ['approval.add', { requestId: R1 }],
    ['request.state', { requestId: R1, from: 'pending_approval', to: 'approved' }],
    ['request.state', { requestId: R2, from: 'pending_approval', to: 'approved' }],
    ['batch.build', { batchId: 'b1', txid: T1, feeSat: '100', feeRateSatVb: 2 }],
    ['request.state', { requestId: R1, from: 'approved', to: 'batched', batchId: 'b1' }],
    ['request.state', { requestId: R2, from: 'approved', to: 'batched', batchId: 'b1' }],
    ['batch.signature', { batchId: 'b1', fingerprint: FP_A }],
    ['batch.signature', { batchId: 'b1', fingerprint: FP_B }],
    ['batch.state', { batchId: 'b1', from: 'built', to: 'signed' }],
    ['batch.state', { batchId: 'b1', from: 'signed', to: 'finalized' }],
    ['batch.state', { batchId: 'b1', from: 'finalized', to: 'broadcast' }],
  ];
}

function signing(fingerprint: string, overrides: Record<string, unknown> = {}): Event {
  return [
    'sign',
    {
      txid: T1,
      batchId: 'b1',
      purpose: 'withdrawal',
      walletId: W,
      fingerprint,
      outpoints: [`${'c'.repeat(64)}:0`],
      requests: [
        { requestId: R1, amountSat: '1000' },
        { requestId: R2, amountSat: '2000' },
      ],
      feeSat: '100',
      ...overrides,
    },
  ];
}

const register: Event = ['register', { walletId: W, name: 'demo', outcome: 'registered' }];

function run(log: readonly Event[], ledgers: Record<string, readonly Event[]>, withWallet?: LoadedWallet) {
  return reconcile({
    log: verified(chainOf(log)),
    ledgers: Object.entries(ledgers).map(([name, events]) => ({
      name,
      verification: verified(chainOf([register, ...events])),
    })),
    ...(withWallet === undefined ? {} : { wallet: withWallet }),
  });
}

const honest = () => ({ a: [signing(FP_A)], b: [signing(FP_B)] });
const without = (events: Event[], match: (e: Event) => boolean) => events.filter((e) => !match(e));

describe('reconcile: the rules', () => {
  it('an honest story reconciles: every signature matches, the broadcast has its receipts', () => {
    const report = run(story(), honest(), wallet);
    expect(report).toMatchObject({ ok: true, findings: [], checked: { signatures: 2, broadcasts: 1 } });
    expect(report.log).toMatchObject({ walletId: W, threshold: 2, cosigners: [FP_A, FP_B, FP_C] });
    expect(report.ledgers.map((l) => l.fingerprints)).toEqual([[FP_A], [FP_B]]);
    expect(report.notes.map((n) => n.kind)).toEqual([
      'log-end-unchecked',
      'ledger-end-unchecked',
      'ledger-end-unchecked',
    ]);
  });

  const cases: {
    name: string;
    log?: () => Event[];
    ledgers: () => Record<string, readonly Event[]>;
    findings: FindingKind[];
  }[] = [
    {
      name: 'a signature for another wallet',
      ledgers: () => ({ ...honest(), c: [signing(FP_C, { walletId: 'e'.repeat(64) })] }),
      findings: ['wallet-mismatch'],
    },
    {
      name: 'a signer that is not a cosigner',
      ledgers: () => ({ ...honest(), c: [signing('deadbeef')] }),
      findings: ['unknown-cosigner'],
    },
    {
      name: 'a batch the log never built',
      ledgers: () => ({ ...honest(), c: [signing(FP_C, { batchId: 'b9', txid: T2 })] }),
      findings: ['batch-unknown'],
    },
    {
      name: 'another transaction under a logged batch id',
      ledgers: () => ({ ...honest(), c: [signing(FP_C, { txid: T2 })] }),
      findings: ['txid-mismatch'],
    },
    {
      name: 'a fee bump the log does not show',
      ledgers: () => ({ ...honest(), c: [signing(FP_C, { bumps: T2 })] }),
      findings: ['bump-mismatch'],
    },
    {
      name: 'a request the log never took in',
      ledgers: () => ({
        ...honest(),
        c: [signing(FP_C, { requests: [{ requestId: '9'.repeat(64), amountSat: '5' }] })],
      }),
      findings: ['request-unknown'],
    },
    {
      name: 'a request paid with another amount',
      ledgers: () => ({
        ...honest(),
        c: [signing(FP_C, { requests: [{ requestId: R1, amountSat: '1001' }] })],
      }),
      findings: ['amount-mismatch'],
    },
    {
      name: 'a request the log never shows approved',
      log: () =>
        without(story(), ([t, d]) => t === 'request.state' && d.requestId === R2 && d.to === 'approved'),
      ledgers: honest,
      findings: ['request-not-approved', 'request-not-approved'],
    },
    {
      name: 'a request the log never put into the batch',
      log: () =>
        without(story(), ([t, d]) => t === 'request.state' && d.requestId === R2 && d.to === 'batched'),
      ledgers: honest,
      findings: ['request-not-in-batch', 'request-not-in-batch'],
    },
    {
      name: 'a proof of reserves the log never shows being built',
      ledgers: withProof,
      findings: ['reserves-not-logged'],
    },
    {
      name: 'a proof of reserves the log shows under another txid',
      log: () => [...story(), ['reserves.prove', { batchId: 'por-1', txid: T1 }]],
      ledgers: withProof,
      findings: ['reserves-not-logged'],
    },
    {
      name: 'a proof of reserves the log shows (no finding)',
      log: () => [...story(), ['reserves.prove', { batchId: 'por-1', txid: T2 }]],
      ledgers: withProof,
      findings: [],
    },
    {
      name: 'a broadcast with one signer receipt in the ledgers',
      ledgers: () => ({ a: [signing(FP_A)] }),
      findings: ['broadcast-under-signed'],
    },
    {
      name: 'a broadcast with one signed file in the log',
      log: () => without(story(), ([t, d]) => t === 'batch.signature' && d.fingerprint === FP_B),
      ledgers: honest,
      findings: ['broadcast-few-signed-files'],
    },
    {
      name: 'a fee bump that the log shows (no finding)',
      log: () => [
        ...story(),
        ['batch.build', { batchId: 'b2', txid: T2, replacesBatch: 'b1' }],
        ['request.state', { requestId: R1, from: 'broadcast', to: 'batched', batchId: 'b2' }],
        ['request.state', { requestId: R2, from: 'broadcast', to: 'batched', batchId: 'b2' }],
      ],
      ledgers: () => ({
        a: [signing(FP_A), signing(FP_A, { batchId: 'b2', txid: T2, bumps: T1 })],
        b: [signing(FP_B)],
      }),
      findings: [],
    },
  ];

  it.each(cases)('$name → $findings', ({ log, ledgers, findings }) => {
    const report = run((log ?? story)(), ledgers());
    expect(report.findings.map((f) => f.kind)).toEqual(findings);
    expect(report.ok).toBe(findings.length === 0);
    for (const f of report.findings) expect(f.message.length).toBeGreaterThan(10);
  });

  it('names the ledger entry, or the log entry of the broadcast, of each finding', () => {
    const report = run(story(), { a: [signing(FP_A)], c: [signing(FP_C, { txid: T2 })] });
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'txid-mismatch', ledger: 'c', position: 2, batchId: 'b1', txid: T2 }),
      expect.objectContaining({ kind: 'broadcast-under-signed', position: 14, batchId: 'b1', txid: T1 }),
    ]);
  });

  it('notes a signature the coordinator never received, without calling it a mismatch', () => {
    const report = run(story(), { ...honest(), c: [signing(FP_C)] });
    expect(report.ok).toBe(true);
    expect(report.notes.filter((n) => n.kind === 'signature-not-received')).toEqual([
      expect.objectContaining({ ledger: 'c', fingerprint: FP_C, batchId: 'b1' }),
    ]);
  });

  it('refuses a wallet file of another wallet, and a ledger passed as the log', () => {
    const other = makeMultisigWallet(1, keys, 'regtest');
    const otherFile = walletFileFor('other', other);
    const otherWallet: LoadedWallet = {
      name: 'other',
      id: otherFile.walletId,
      wallet: other,
      file: otherFile,
    };
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (isKuraError(error)) return error.code;
        throw error;
      }
      return undefined;
    };
    expect(codeOf(() => run(story(), honest(), otherWallet))).toBe('WALLET_ID_MISMATCH');
    expect(codeOf(() => run([register, signing(FP_A)], honest()))).toBe('ARTIFACT_INVALID');
    expect(codeOf(() => run(story(), { a: [['sign', { txid: T1 }]] }))).toBe('AUDIT_LOG_MALFORMED');
  });
});

// ---- the whole path, for real ------------------------------------------------------------

describe('kura audit reconcile with real signers and a real coordinator home', () => {
  it('agrees on a batch the coordinator logged; refuses a signature it never built and a missing ledger', async () => {
    const scenario = await setUpScenario();
    const home = await initCoordinator(scenario.dir, scenario.walletPath, scenario.policyPath);

    // The batch the coordinator builds: two requests, approved by two officers.
    const parts = { ...validParts(scenario), batchId: 'batch-1' };
    const psbt = buildPackage(scenario, parts);
    const packagePath = writePackage(scenario.dir, 'batch-1.psbt', psbt.toBuffer());
    const txid = Transaction.fromBuffer(psbt.data.globalMap.unsignedTx.toBuffer()).getId();
    const opened = openCoordinatorHome(home);
    try {
      const { store } = opened;
      for (const request of parts.requests) {
        store.insertRequest({
          requestId: request.requestId,
          clientId: 'cli',
          idempotencyKey: request.requestId,
          bodySha256: request.requestId,
          destination: request.destination,
          scriptPubKey: bytesToHex(request.scriptPubKey),
          amountSat: request.amountSat,
          policyHash: request.policyHash,
          expiresAt: request.expiresAt,
        });
        for (const approval of parts.approvals.filter((a) => a.requestId === request.requestId))
          store.addApproval(approval);
        store.setRequestState(request.requestId, 'approved', { reason: 'quorum met' });
      }
      store.insertBatch({
        batchId: 'batch-1',
        psbt: psbt.toBuffer(),
        txid,
        feeSat: 20_000n,
        feeRateSatVb: 50,
      });
      for (const request of parts.requests)
        store.setRequestState(request.requestId, 'batched', { batchId: 'batch-1' });
    } finally {
      opened.close();
    }

    // Alice and Bob sign offline; the coordinator stores both files, finalizes and broadcasts.
    const signed = [];
    for (const signer of [scenario.homes.alice, scenario.homes.bob]) {
      const run = await signOk(scenario, signer, packagePath);
      signed.push(run.json<{ signedPath: string; receipt: { fingerprint: string; txid: string } }>());
    }
    expect(signed.map((s) => s.receipt.txid)).toEqual([txid, txid]);
    const files = signed.map((s) =>
      Psbt.fromBuffer(readFileSync(s.signedPath), { network: networkInfo('regtest').bitcoinjs }),
    );
    const [first, second] = files as [Psbt, Psbt];
    // the signed files carry signatures only; the package brings the scripts
    const finalTx = Psbt.fromBuffer(psbt.toBuffer(), { network: networkInfo('regtest').bitcoinjs })
      .combine(first, second)
      .finalizeAllInputs()
      .extractTransaction()
      .toBuffer();
    const reopened = openCoordinatorHome(home);
    try {
      const { store } = reopened;
      signed.forEach((s) =>
        store.addBatchSignature({
          batchId: 'batch-1',
          fingerprint: s.receipt.fingerprint,
          psbt: readFileSync(s.signedPath),
        }),
      );
      store.setBatchState('batch-1', 'signed');
      store.setBatchState('batch-1', 'finalized', { finalTx });
      store.setBatchState('batch-1', 'broadcast');
    } finally {
      reopened.close();
    }

    const logPath = join(scenario.dir, 'audit.jsonl');
    expect((await kura(['audit', 'log', 'export', '--home', home, '--out', logPath])).code).toBe(0);
    const ledgers: Record<string, string> = {};
    for (const [name, signerHome] of Object.entries(scenario.homes)) {
      ledgers[name] = join(scenario.dir, `ledger-${name}.jsonl`);
      expect(
        (await kura(['signer', 'ledger', 'export', '--home', signerHome, '--out', ledgers[name] as string]))
          .code,
      ).toBe(0);
    }
    const all = [ledgers.alice, ledgers.bob, ledgers.carol] as string[];

    const ok = await kura([
      'audit',
      'reconcile',
      '--log',
      logPath,
      '--ledger',
      ...all,
      '--wallet',
      scenario.walletPath,
      '--json',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({
      ok: true,
      findings: [],
      checked: { signatures: 2, broadcasts: 1 },
      log: { threshold: 2 },
    });

    // Only Alice's ledger: the broadcast cannot show two signer receipts.
    const missing = await kura([
      'audit',
      'reconcile',
      '--log',
      logPath,
      '--ledger',
      ledgers.alice as string,
      '--json',
    ]);
    expect(missing.code).toBe(4);
    expect(missing.json()).toMatchObject({
      error: {
        code: 'RECONCILE_MISMATCH',
        details: { findings: [{ kind: 'broadcast-under-signed', batchId: 'batch-1', txid }] },
      },
    });

    // Carol is handed a batch the coordinator never built, and signs it (it is valid for her).
    const rogue = buildPackage(scenario, { ...validParts(scenario), batchId: 'rogue-7' });
    await signOk(
      scenario,
      scenario.homes.carol,
      writePackage(scenario.dir, 'rogue-7.psbt', rogue.toBuffer()),
    );
    const carolAgain = join(scenario.dir, 'ledger-carol-2.jsonl');
    expect(
      (await kura(['signer', 'ledger', 'export', '--home', scenario.homes.carol, '--out', carolAgain])).code,
    ).toBe(0);
    const human = await kura([
      'audit',
      'reconcile',
      '--log',
      logPath,
      '--ledger',
      ledgers.alice as string,
      ledgers.bob as string,
      carolAgain,
    ]);
    expect(human.code).toBe(4);
    expect(human.stdout).toContain(
      `MISMATCH batch-unknown: ledger ${carolAgain} entry 3 is for batch rogue-7`,
    );
    expect(human.stderr).toMatch(/^kura: RECONCILE_MISMATCH: 1 finding\(s\)/);

    // A ledger edited after the fact stops reconcile before anything is compared.
    const edited = join(scenario.dir, 'ledger-bob-edited.jsonl');
    const text = readFileSync(ledgers.bob as string, 'utf8').replace(
      '"purpose":"withdrawal"',
      '"purpose":"reserves"',
    );
    writeFileSync(edited, text);
    const tampered = await kura([
      'audit',
      'reconcile',
      '--log',
      logPath,
      '--ledger',
      ledgers.alice as string,
      edited,
      '--json',
    ]);
    expect(errorCode(tampered)).toBe('AUDIT_LOG_EDITED');
    expect(tampered.json()).toMatchObject({ error: { details: { file: edited } } });
  });
});
