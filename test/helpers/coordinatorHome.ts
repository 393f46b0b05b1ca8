// `kura coordinator init` through the real CLI for tests that run a coordinator against a regtest
// node: RPC user and a password file (never a password on the command line).
import { expect } from 'vitest';
import { kura } from './cli.js';

export interface CoordinatorInit {
  readonly home: string;
  readonly walletPath: string;
  readonly policyPath: string;
  readonly rpcUrl: string;
  readonly rpcUser: string;
  readonly passwordFile: string;
  readonly birthdayHeight?: number;
}

/** Runs `kura coordinator init --json` and expects it to succeed quietly; returns the home. */
export async function initCoordinatorHomeViaCli(init: CoordinatorInit): Promise<string> {
  const run = await kura([
    'coordinator',
    'init',
    '--home',
    init.home,
    '--wallet',
    init.walletPath,
    '--policy',
    init.policyPath,
    '--rpc-url',
    init.rpcUrl,
    '--rpc-user',
    init.rpcUser,
    '--rpc-password-file',
    init.passwordFile,
    ...(init.birthdayHeight === undefined ? [] : ['--birthday-height', String(init.birthdayHeight)]),
    '--json',
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return init.home;
}
