// Coordinator homes for the audit tests: made by the real `kura coordinator init` (no node is
// contacted), then given a busy audit log through the store's own methods, as the coordinator
// writes it. The wallet is the public demo 2-of-3 of the test mnemonics (PUBLIC, tests only).
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import { walletFileFor } from '../../src/artifacts/walletFile.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { kura, tempDir, writeTemp } from '../helpers/cli.js';

/** `kura coordinator init` for a wallet and policy file; returns the home. */
export async function initCoordinator(dir: string, walletPath: string, policyPath: string): Promise<string> {
  const home = join(dir, 'coordinator');
  const run = await kura([
    'coordinator',
    'init',
    '--home',
    home,
    '--wallet',
    walletPath,
    '--policy',
    policyPath,
    '--rpc-url',
    'http://127.0.0.1:18443',
    '--rpc-cookie',
    join(dir, '.cookie'),
    '--json',
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return home;
}

/** A home for the demo wallet with policies/treasury.json (which names that wallet). */
export async function demoCoordinator(): Promise<{ dir: string; home: string }> {
  const dir = tempDir('kura-audit-');
  const keys = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
    accountKeyFromMaster(masterFromSeed(mnemonicToSeed(m, ''), 'regtest'), 'regtest', 0),
  );
  const wallet = walletFileFor('demo', makeMultisigWallet(2, keys, 'regtest'));
  const walletPath = writeTemp(dir, 'wallet.json', `${JSON.stringify(wallet, null, 2)}\n`);
  const policyDir = join(dir, 'policy');
  mkdirSync(policyDir);
  copyFileSync('policies/denylist.example.txt', join(policyDir, 'denylist.example.txt'));
  const policyPath = writeTemp(policyDir, 'policy.json', readFileSync('policies/treasury.json', 'utf8'));
  return { dir, home: await initCoordinator(dir, walletPath, policyPath) };
}

/** A day of coordinator work: addresses, blocks, requests, approvals, state moves, a token. */
export function busyDay(home: string, requests = 6): void {
  const opened = openCoordinatorHome(home);
  try {
    const { store } = opened;
    const policyHash = store.meta().policyHash;
    store.addAddresses([{ branch: 0, addressIndex: 0, scriptPubKey: '0020' + '2'.repeat(64) }]);
    for (let h = 0; h < 4; h++) {
      store.recordBlock({
        height: h,
        hash: (h + 1).toString(16).padStart(64, 'f'),
        prevHash: h === 0 ? '0'.repeat(64) : h.toString(16).padStart(64, 'f'),
      });
    }
    for (let n = 0; n < requests; n++) {
      const { request } = store.insertRequest({
        requestId: randomBytes(32).toString('hex'),
        clientId: 'cli',
        idempotencyKey: `key-${n}`,
        bodySha256: randomBytes(32).toString('hex'),
        destination: 'bcrt1qexample',
        scriptPubKey: '0014' + '1'.repeat(40),
        amountSat: BigInt(10_000 + n),
        policyHash,
        expiresAt: 4_000_000_000,
      });
      store.addApproval({
        requestId: request.requestId,
        officerPublicKey: 'c'.repeat(64),
        approvedAt: 1_700_000_000,
        signature: '7'.repeat(128),
      });
      store.setRequestState(request.requestId, n % 3 === 0 ? 'cancelled' : 'approved');
    }
    store.audit('note', { text: 'end of the day' });
  } finally {
    opened.close();
  }
}
