// Signer homes made from the public test mnemonics, through the real CLI.
import { join } from 'node:path';
import { expect } from 'vitest';
import { PUBLIC_TEST_MNEMONICS, TEST_PASSPHRASE } from '../fixtures/seeds.js';
import { kura, writeTemp } from './cli.js';

export type TestSigner = keyof typeof PUBLIC_TEST_MNEMONICS;

/** Restores a test signer's key into `dir/<name>` and returns the home. */
export async function restoreSigner(
  dir: string,
  name: TestSigner,
  network: string,
  extra: { bip39Passphrase?: string; account?: number; home?: string } = {},
): Promise<string> {
  const home = join(dir, extra.home ?? name);
  const words = writeTemp(dir, `${name}.words`, `${PUBLIC_TEST_MNEMONICS[name]}\n`);
  const pass = writeTemp(dir, 'pass.txt', `${TEST_PASSPHRASE}\n`);
  const args = ['keys', 'create', '--home', home, '--network', network, '--restore', '--words-file', words];
  args.push('--passphrase-file', pass, '--json');
  if (extra.account !== undefined) args.push('--account', String(extra.account));
  if (extra.bip39Passphrase !== undefined) {
    args.push('--bip39-passphrase-file', writeTemp(dir, `${name}.bip39`, extra.bip39Passphrase));
  }
  const run = await kura(args);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return home;
}
