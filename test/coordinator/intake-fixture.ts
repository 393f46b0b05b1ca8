// A coordinator home for intake and HTTP tests: the public demo 2-of-3 regtest wallet (public test
// mnemonics), the test policy of test/helpers/scenario.ts with its PUBLIC officer keys, and a clock
// the test moves. No node is needed: nothing here talks to one.
import { join } from 'node:path';
import { signApproval, type Approval } from '../../src/approvals/approval.js';
import { parseRequest } from '../../src/approvals/request.js';
import { walletFileFor } from '../../src/artifacts/walletFile.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import {
  initCoordinatorHome,
  openCoordinatorHome,
  type CoordinatorHome,
} from '../../src/coordinator/home.js';
import type { WithdrawalView } from '../../src/coordinator/intake/index.js';
import { isKuraError } from '../../src/errors.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { tempDir, writeTemp } from '../helpers/cli.js';
import { OFFICERS, testPolicy } from '../helpers/scenario.js';

/** A fixed time (2025-06-15) so that expiry, delays and the 24 h window are exact. */
export const T0 = 1_750_000_000;

export interface Clock {
  now: number;
}

export interface IntakeHome {
  readonly path: string;
  readonly home: CoordinatorHome;
  readonly walletId: string;
  /** Unix seconds; tests move it. The store's clock reads it too. */
  readonly clock: Clock;
  close(): void;
}

let walletText: { text: string; id: string } | undefined;

function demoWallet(): { text: string; id: string } {
  if (walletText === undefined) {
    const keys = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
      accountKeyFromMaster(masterFromSeed(mnemonicToSeed(m, ''), 'regtest'), 'regtest', 0),
    );
    const file = walletFileFor('treasury', makeMultisigWallet(2, keys, 'regtest'));
    walletText = { text: `${JSON.stringify(file, null, 2)}\n`, id: file.walletId };
  }
  return walletText;
}

/**
 * Makes and opens a home. `clock` null uses the system clock (for CLI tests, which run with it);
 * otherwise the store and the test share the returned clock object.
 */
export function makeIntakeHome(
  policyOverrides: Record<string, unknown> = {},
  clock: Clock | null = { now: T0 },
): IntakeHome {
  const dir = tempDir('kura-intake-');
  const wallet = demoWallet();
  const walletPath = writeTemp(dir, 'wallet.json', wallet.text);
  const policyPath = writeTemp(
    dir,
    'policy.json',
    `${JSON.stringify(testPolicy(wallet.id, policyOverrides), null, 2)}\n`,
  );
  const path = join(dir, 'coordinator');
  const storeOptions = clock === null ? {} : { now: () => clock.now };
  initCoordinatorHome(
    {
      home: path,
      walletPath,
      policyPath,
      rpcUrl: 'http://127.0.0.1:18443',
      rpcAuth: { kind: 'cookie', cookieFile: join(dir, '.cookie') },
    },
    storeOptions,
  );
  const home = openCoordinatorHome(path, storeOptions);
  return {
    path,
    home,
    walletId: wallet.id,
    clock: clock ?? {
      get now() {
        return Math.floor(Date.now() / 1000);
      },
    },
    close: () => home.close(),
  };
}

/** An approval file by test officer `officer` (0, 1: operations; 2: security) of a stored request. */
export function approvalOf(withdrawal: WithdrawalView, officer: number, approvedAt: number): Approval {
  const o = OFFICERS[officer];
  if (o === undefined) throw new Error(`no test officer ${officer}`);
  return signApproval(parseRequest(withdrawal.request), o.privateKey, approvedAt, new Uint8Array(32));
}

/** The code of the KuraError `fn` throws, or undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

/** The audit chain's head: any state change moves it. */
export function auditHead(home: CoordinatorHome): string | null {
  return home.store.verifyAudit().head;
}
