// `kura coordinator init|status|token` on real temporary folders: the home is made with copies of
// the wallet and policy, refused when it exists or when its files disagree with its database.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { walletFileFor } from '../../src/artifacts/walletFile.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { authenticate } from '../../src/coordinator/tokens.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';

/** The public demo wallet of policies/README.md (2-of-3 from the public test mnemonics). */
const DEMO_WALLET_ID = 'd4495213697ea605214146a07cb12a104a0ef1016a2d4d49de90b853ad539f1d';

let dir: string;
let walletPath: string;
let otherWalletPath: string;
let otherWalletId: string;
let policyPath: string;
let exchangePolicyPath: string;

function demoWallet(threshold: number): { text: string; id: string } {
  const keys = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
    accountKeyFromMaster(masterFromSeed(mnemonicToSeed(m, ''), 'regtest'), 'regtest', 0),
  );
  const file = walletFileFor(`demo-${threshold}`, makeMultisigWallet(threshold, keys, 'regtest'));
  return { text: `${JSON.stringify(file, null, 2)}\n`, id: file.walletId };
}

/** A policy folder with the example policy (optionally for another wallet) and its denylist. */
function policyFolder(name: string, source: string, walletId = DEMO_WALLET_ID): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  copyFileSync('policies/denylist.example.txt', join(folder, 'denylist.example.txt'));
  const text = readFileSync(source, 'utf8').replace(DEMO_WALLET_ID, walletId);
  return writeTemp(folder, 'policy.json', text);
}

const rpc = ['--rpc-url', 'http://127.0.0.1:18443'];

async function init(
  home: string,
  extra: string[] = [],
  policy = policyPath,
): Promise<ReturnType<typeof kura>> {
  const cookie = ['--rpc-cookie', join(dir, '.cookie')];
  const auth = extra.some((a) => a.startsWith('--rpc-')) ? [] : cookie;
  return kura([
    'coordinator',
    'init',
    '--home',
    home,
    '--wallet',
    walletPath,
    '--policy',
    policy,
    ...rpc,
    ...auth,
    ...extra,
    '--json',
  ]);
}

beforeAll(() => {
  dir = tempDir('kura-coordinator-');
  const demo = demoWallet(2);
  expect(demo.id).toBe(DEMO_WALLET_ID);
  walletPath = writeTemp(dir, 'treasury.wallet.json', demo.text);
  const other = demoWallet(1);
  otherWalletId = other.id;
  otherWalletPath = writeTemp(dir, 'other.wallet.json', other.text);
  policyPath = policyFolder('policy', 'policies/treasury.json');
  exchangePolicyPath = policyFolder('exchange', 'policies/exchange-hot-to-cold.json');
});

describe('kura coordinator init', () => {
  it('makes a private home with the database, the wallet, the policy, its denylist and the config', async () => {
    const home = join(dir, 'home');
    const run = await init(home, ['--birthday-height', '150']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = run.json<Record<string, unknown>>();
    expect(result).toMatchObject({
      network: 'regtest',
      walletId: DEMO_WALLET_ID,
      birthdayHeight: 150,
      rpcAuth: 'cookie',
    });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    for (const name of ['kura.sqlite', 'wallet.json', 'policy.json', 'denylist.example.txt', 'config.json']) {
      expect(existsSync(join(home, name)), name).toBe(true);
    }
    expect(readFileSync(join(home, 'policy.json'))).toEqual(readFileSync(policyPath));
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      kind: 'kura-coordinator-config',
      network: 'regtest',
      birthdayHeight: 150,
      rpc: { url: 'http://127.0.0.1:18443', auth: { kind: 'cookie', cookieFile: join(dir, '.cookie') } },
    });

    const again = await init(home);
    expect(errorCode(again)).toBe('COORDINATOR_HOME_EXISTS');
    expect(again.code).toBe(6);
  });

  it('stores the path of the password file, never the password', async () => {
    const home = join(dir, 'home-password');
    const passwordFile = writeTemp(dir, 'rpc-password.txt', 'correct horse battery staple\n');
    const run = await init(home, ['--rpc-user', 'kura', '--rpc-password-file', passwordFile]);
    expect(run.code).toBe(0);
    const config = readFileSync(join(home, 'config.json'), 'utf8');
    expect(config).toContain(passwordFile);
    expect(config).not.toContain('battery');
  });

  it.each([
    { description: 'no node credentials', extra: ['--rpc-user', 'kura'], code: 'ARGUMENT_INVALID' },
    {
      description: 'a cookie and a password together',
      extra: ['--rpc-cookie', 'c', '--rpc-user', 'u', '--rpc-password-file', 'p'],
      code: 'ARGUMENT_INVALID',
    },
    {
      description: 'a missing password file',
      extra: ['--rpc-user', 'u', '--rpc-password-file', '/nonexistent/password'],
      code: 'FILE_NOT_FOUND',
    },
    {
      description: 'credentials in the URL',
      extra: ['--rpc-url', 'http://u:p@127.0.0.1:18443'],
      code: 'ARGUMENT_INVALID',
    },
    {
      description: 'a URL that is not http',
      extra: ['--rpc-url', 'ftp://127.0.0.1'],
      code: 'ARGUMENT_INVALID',
    },
    { description: 'a negative birthday', extra: ['--birthday-height', '-1'], code: 'ARGUMENT_INVALID' },
  ])('refuses $description, writing nothing', async ({ extra, code }) => {
    const home = join(dir, `refused-${Math.random().toString(16).slice(2)}`);
    const run = await init(home, extra);
    expect(errorCode(run)).toBe(code);
    expect(existsSync(join(home, 'kura.sqlite'))).toBe(false);
  });

  it('refuses a policy for another wallet', async () => {
    const home = join(dir, 'home-other-policy');
    const run = await init(home, [], policyFolder('for-other', 'policies/treasury.json', otherWalletId));
    expect(errorCode(run)).toBe('POLICY_WALLET_MISMATCH');
    expect(existsSync(home)).toBe(false);
  });
});

describe('kura coordinator status', () => {
  it('shows network, wallet, policy, requests by state, balance and the verified audit head', async () => {
    const home = join(dir, 'home-status');
    expect((await init(home)).code).toBe(0);
    const run = await kura(['coordinator', 'status', '--home', home, '--json']);
    expect(run.code).toBe(0);
    const status = run.json<Record<string, unknown>>();
    expect(status).toMatchObject({
      network: 'regtest',
      walletId: DEMO_WALLET_ID,
      tip: null,
      requests: { pending_approval: 0, confirmed: 0 },
      balance: { confirmedSat: '0', unconfirmedSat: '0', lockedSat: '0', totalSat: '0' },
      audit: { entries: 1 },
    });
    const human = await kura(['coordinator', 'status', '--home', home]);
    expect(human.stdout).toMatch(/total +0 sats \(0\.00000000 BTC\)/);
    expect(human.stdout).toMatch(/1 entries, chain verified/);
  });

  it('refuses a folder that is not a home', async () => {
    const run = await kura(['coordinator', 'status', '--home', join(dir, 'nowhere'), '--json']);
    expect(errorCode(run)).toBe('COORDINATOR_NOT_INITIALIZED');
  });

  it('refuses a database whose policy differs from the policy file in the home', async () => {
    const home = join(dir, 'home-swapped-policy');
    expect((await init(home)).code).toBe(0);
    unlinkSync(join(home, 'policy.json'));
    copyFileSync(exchangePolicyPath, join(home, 'policy.json'));
    expect(errorCode(await kura(['coordinator', 'status', '--home', home, '--json']))).toBe(
      'POLICY_HASH_MISMATCH',
    );
  });

  it('refuses a database whose wallet differs from the wallet file in the home', async () => {
    const home = join(dir, 'home-swapped-wallet');
    expect((await init(home)).code).toBe(0);
    for (const name of ['wallet.json', 'policy.json']) unlinkSync(join(home, name));
    copyFileSync(otherWalletPath, join(home, 'wallet.json'));
    copyFileSync(policyFolder('swap', 'policies/treasury.json', otherWalletId), join(home, 'policy.json'));
    expect(errorCode(await kura(['coordinator', 'status', '--home', home, '--json']))).toBe('STORE_MISMATCH');
  });

  it('refuses a damaged config file', async () => {
    const home = join(dir, 'home-bad-config');
    expect((await init(home)).code).toBe(0);
    writeFileSync(join(home, 'config.json'), '{"kind":"kura-coordinator-config","version":1}');
    expect(errorCode(await kura(['coordinator', 'status', '--home', home, '--json']))).toBe(
      'COORDINATOR_CONFIG_INVALID',
    );
  });
});

describe('kura coordinator token', () => {
  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const home = join(dir, 'home-tokens');
    expect((await init(home)).code).toBe(0);
    const created = await kura([
      'coordinator',
      'token',
      'create',
      '--home',
      home,
      '--role',
      'intake',
      '--label',
      'backend',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const made = created.json<{ tokenId: string; token: string; role: string; label: string }>();
    expect(made).toMatchObject({ role: 'intake', label: 'backend' });
    expect(made.token).toMatch(/^kura_/);
    const human = await kura(['coordinator', 'token', 'create', '--home', home, '--role', 'auditor']);
    expect(human.stdout).toMatch(/shown this once/);
    expect(human.stdout).toMatch(/^kura_[A-Za-z0-9_-]{43}$/m);

    const listed = await kura(['coordinator', 'token', 'list', '--home', home, '--json']);
    expect(listed.stdout).not.toContain(made.token);
    expect(listed.json<{ tokens: { tokenId: string; role: string }[] }>().tokens).toHaveLength(2);

    const opened = openCoordinatorHome(home);
    try {
      expect(authenticate(opened.store, `Bearer ${made.token}`).role).toBe('intake');
    } finally {
      opened.close();
    }
    const revoked = await kura([
      'coordinator',
      'token',
      'revoke',
      '--home',
      home,
      '--id',
      made.tokenId,
      '--json',
    ]);
    expect(revoked.json<{ changed: boolean }>().changed).toBe(true);
    const reopened = openCoordinatorHome(home);
    try {
      expect(() => authenticate(reopened.store, `Bearer ${made.token}`)).toThrow(/revoked/);
    } finally {
      reopened.close();
    }
    const unknown = await kura([
      'coordinator',
      'token',
      'revoke',
      '--home',
      home,
      '--id',
      'tok_0000000000000000',
      '--json',
    ]);
    expect(errorCode(unknown)).toBe('COORDINATOR_NOT_FOUND');
  });

  it('refuses an unknown role', async () => {
    const home = join(dir, 'home-roles');
    expect((await init(home)).code).toBe(0);
    const run = await kura(['coordinator', 'token', 'create', '--home', home, '--role', 'admin', '--json']);
    expect(errorCode(run)).toBe('ARGUMENT_INVALID');
    expect(run.code).toBe(2);
  });
});
