// A complete signer scenario from public test material: three signer homes restored from the
// public test mnemonics, the 2-of-3 regtest wallet registered on them, a policy with three
// officers (PUBLIC test keys 0x…01, 0x…02, 0x…03) pinned, and valid signing packages to tamper with.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { payments, Transaction } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { approvalHash, destinationScript, type WithdrawalRequest } from '../../src/approvals/request.js';
import { buildSigningPackage, type PackageCoin } from '../../src/artifacts/buildPackage.js';
import type { PackagedApproval } from '../../src/artifacts/kuraFields.js';
import { readJsonFile } from '../../src/artifacts/readFile.js';
import { parseWalletFile, type LoadedWallet } from '../../src/artifacts/walletFile.js';
import { TEST_PASSPHRASE } from '../fixtures/seeds.js';
import { kura, tempDir, writeTemp } from './cli.js';
import { restoreSigner } from './keys.js';

// Packages are dated from the real clock: the signer checks expiry and delays against its own.
export const NOW = Math.floor(Date.now() / 1000);

/** PUBLIC test officer keys: never use for anything real. */
export const OFFICERS = [
  { id: 'ops-1', role: 'operations', privateKey: hexToBytes('00'.repeat(31) + '01') },
  { id: 'ops-2', role: 'operations', privateKey: hexToBytes('00'.repeat(31) + '02') },
  { id: 'sec-1', role: 'security', privateKey: hexToBytes('00'.repeat(31) + '03') },
].map((o) => ({ ...o, publicKey: bytesToHex(ecc.xOnlyPointFromScalar(o.privateKey)) }));

export function testPolicy(
  walletId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'kura-policy',
    version: 1,
    network: 'regtest',
    walletId,
    officers: OFFICERS.map(({ id, role, publicKey }) => ({ id, role, publicKey })),
    tiers: [
      { upToSat: 100_000_000, approvals: 2, requiredRoles: [], delaySeconds: 0 },
      { upToSat: 1_000_000_000, approvals: 3, requiredRoles: ['security'], delaySeconds: 3600 },
    ],
    limits: { perWithdrawalSat: 1_000_000_000, rolling24h: { amountSat: 2_000_000_000, count: 20 } },
    allowlist: { enforced: false, coolingSeconds: 86_400, entries: [] },
    fees: { maxFeeRateSatVb: 200, maxFeeSat: 1_000_000, maxFeePercent: 5 },
    approvalExpirySeconds: 7 * 86_400,
    ...overrides,
  };
}

/** A regtest P2WPKH address of a public test key: somewhere to send money in tests. */
export function testDestination(n: number): string {
  const key = ecc.pointFromScalar(hexToBytes(n.toString(16).padStart(64, '0')), true);
  if (key === null) throw new Error('bad test key');
  return payments.p2wpkh({ pubkey: key, network: networkInfo('regtest').bitcoinjs }).address as string;
}

export interface Scenario {
  readonly dir: string;
  readonly homes: { alice: string; bob: string; carol: string };
  readonly walletPath: string;
  readonly wallet: LoadedWallet;
  readonly policyPath: string;
  readonly policyHash: string;
  readonly passphraseFile: string;
}

export async function setUpScenario(policyOverrides: Record<string, unknown> = {}): Promise<Scenario> {
  const dir = tempDir('kura-signer-');
  const homes = {
    alice: await restoreSigner(dir, 'alice', 'regtest'),
    bob: await restoreSigner(dir, 'bob', 'regtest'),
    carol: await restoreSigner(dir, 'carol', 'regtest'),
  };
  const walletPath = join(dir, 'wallet.json');
  const args = ['wallet', 'create', '--threshold', '2', '--name', 'treasury', '--out', walletPath];
  const created = await kura([
    ...args,
    ...Object.values(homes).flatMap((h) => ['--cosigner', join(h, 'cosigner.json')]),
  ]);
  expect(created.code).toBe(0);
  const wallet = parseWalletFile(readJsonFile(walletPath));
  const policyBytes = `${JSON.stringify(testPolicy(wallet.id, policyOverrides), null, 2)}\n`;
  const policyPath = writeTemp(dir, 'policy.json', policyBytes);
  for (const home of Object.values(homes)) {
    expect((await kura(['signer', 'register', '--home', home, '--wallet', walletPath, '--yes'])).code).toBe(
      0,
    );
    const pinned = await kura(['signer', 'policy', '--home', home, '--policy', policyPath, '--yes']);
    expect(pinned.stderr).toBe('');
    expect(pinned.code).toBe(0);
  }
  return {
    dir,
    homes,
    walletPath,
    wallet,
    policyPath,
    policyHash: bytesToHex(sha256(new TextEncoder().encode(policyBytes))),
    passphraseFile: writeTemp(dir, 'passphrase.txt', `${TEST_PASSPHRASE}\n`),
  };
}

/** A funding transaction (not on any chain) paying the wallet's receive addresses. */
export function fundingTransaction(
  wallet: LoadedWallet,
  amountsSat: readonly bigint[],
  firstIndex = 0,
): Uint8Array {
  const deriver = new WalletDeriver(wallet.wallet);
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(randomBytes(32), 0);
  amountsSat.forEach((amount, i) => tx.addOutput(deriver.derive(0, firstIndex + i).scriptPubKey, amount));
  return tx.toBuffer();
}

export function makeRequest(
  scenario: Pick<Scenario, 'wallet' | 'policyHash'>,
  amountSat: bigint,
  destination = testDestination(100 + Number(amountSat % 1000n)),
): WithdrawalRequest {
  return {
    walletId: scenario.wallet.id,
    requestId: bytesToHex(randomBytes(32)),
    network: 'regtest',
    destination,
    scriptPubKey: destinationScript(destination, 'regtest'),
    amountSat,
    policyHash: scenario.policyHash,
    expiresAt: NOW + 86_400,
  };
}

export function approve(
  request: WithdrawalRequest,
  officer: number,
  approvedAt = NOW - 600,
): PackagedApproval {
  const o = OFFICERS[officer];
  if (o === undefined) throw new Error(`no officer ${officer}`);
  const signature = ecc.signSchnorr(approvalHash(request, approvedAt), o.privateKey, new Uint8Array(32));
  return {
    requestId: request.requestId,
    officerPublicKey: o.publicKey,
    approvedAt,
    signature: bytesToHex(signature),
  };
}

export interface PackageParts {
  coins: PackageCoin[];
  requests: WithdrawalRequest[];
  approvals: PackagedApproval[];
  change?: { index: number; valueSat: bigint };
  batchId?: string;
  bumps?: string;
  policyHash?: string;
}

/** Two requests of 0.3 and 0.2 BTC from two 1 BTC coins, approved by two officers, with change. */
export function validParts(scenario: Pick<Scenario, 'wallet' | 'policyHash'>): PackageParts {
  const funding = fundingTransaction(scenario.wallet, [100_000_000n, 100_000_000n]);
  const requests = [
    makeRequest(scenario, 30_000_000n, testDestination(201)),
    makeRequest(scenario, 20_000_000n, testDestination(202)),
  ];
  return {
    coins: [
      { previousTx: funding, vout: 0, branch: 0, index: 0 },
      { previousTx: funding, vout: 1, branch: 0, index: 1 },
    ],
    requests,
    approvals: requests.flatMap((r) => [approve(r, 0), approve(r, 1)]),
    change: { index: 0, valueSat: 200_000_000n - 50_000_000n - 20_000n },
  };
}

export function buildPackage(scenario: Pick<Scenario, 'wallet' | 'policyHash'>, parts: PackageParts) {
  return buildSigningPackage({
    wallet: scenario.wallet.wallet,
    header: {
      version: 1,
      purpose: 'withdrawal',
      batchId: parts.batchId ?? 'batch-1',
      walletId: scenario.wallet.id,
      policyHash: parts.policyHash ?? scenario.policyHash,
      ...(parts.bumps === undefined ? {} : { bumps: parts.bumps }),
    },
    coins: parts.coins,
    requests: parts.requests,
    approvals: parts.approvals,
    ...(parts.change === undefined ? {} : { change: parts.change }),
  });
}

export function writePackage(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Runs `kura signer sign FILE --yes --json` as the signer in `home`, unlocking with the test passphrase. */
export function runSign(scenario: Pick<Scenario, 'passphraseFile'>, home: string, file: string) {
  return kura([
    'signer',
    'sign',
    file,
    '--home',
    home,
    '--passphrase-file',
    scenario.passphraseFile,
    '--yes',
    '--json',
  ]);
}

/** As runSign, and expects success. */
export async function signOk(scenario: Pick<Scenario, 'passphraseFile'>, home: string, file: string) {
  const run = await runSign(scenario, home, file);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run;
}
