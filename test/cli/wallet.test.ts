// `kura wallet create|show|addresses`: refusals by code, SLIP-132 input, and addresses checked
// against an independent implementation (@scure/bip32 + @scure/btc-signer, seeds by plain PBKDF2).
import { pbkdf2Sync } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import bs58check from 'bs58check';
import { HDKey } from '@scure/bip32';
import * as btc from '@scure/btc-signer';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';
import { restoreSigner, type TestSigner } from '../helpers/keys.js';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const BIP39_PASSPHRASE = 'public test passphrase for carol';

interface WalletJson {
  walletId: string;
  descriptor: string;
  cosigners: { keyOrigin: string; xpub: string; fingerprint: string }[];
}

async function threeSigners(dir: string, network: string): Promise<string[]> {
  return [
    await restoreSigner(dir, 'alice', network),
    await restoreSigner(dir, 'bob', network),
    await restoreSigner(dir, 'carol', network, { bip39Passphrase: BIP39_PASSPHRASE }),
  ];
}

async function createWallet(dir: string, homes: string[], extra: string[] = []) {
  const args = [
    'wallet',
    'create',
    '--threshold',
    '2',
    '--name',
    'treasury',
    '--out',
    join(dir, `w${Math.random()}.json`),
  ];
  for (const home of homes) args.push('--cosigner', join(home, 'cosigner.json'));
  return kura([...args, ...extra, '--json']);
}

/** Independent derivation: BIP-39 seed by PBKDF2 (as the BIP defines it), BIP-32 by @scure. */
function independentAddresses(network: 'mainnet' | 'regtest', branch: 0 | 1, count: number): string[] {
  const coin = network === 'mainnet' ? 0 : 1;
  const accounts = (['alice', 'bob', 'carol'] as TestSigner[]).map((name) => {
    const passphrase = name === 'carol' ? BIP39_PASSPHRASE : '';
    const seed = pbkdf2Sync(
      PUBLIC_TEST_MNEMONICS[name].normalize('NFKD'),
      `mnemonic${passphrase}`.normalize('NFKD'),
      2048,
      64,
      'sha512',
    );
    return HDKey.fromMasterSeed(seed).derive(`m/48'/${coin}'/0'/2'`);
  });
  const net = network === 'mainnet' ? btc.NETWORK : REGTEST;
  return Array.from({ length: count }, (_, i) => {
    const keys = accounts.map((a) => a.deriveChild(branch).deriveChild(i).publicKey as Uint8Array);
    return btc.p2wsh(btc.p2ms(2, keys.sort(Buffer.compare as (a: Uint8Array, b: Uint8Array) => number)), net)
      .address as string;
  });
}

describe('wallet addresses agree with an independent implementation', () => {
  it.each(['mainnet', 'regtest'] as const)('first 20 receive and change addresses on %s', async (network) => {
    const dir = tempDir();
    const homes = await threeSigners(dir, network);
    const created = await createWallet(dir, homes);
    expect(created.code).toBe(0);
    const out = join(dir, 'wallet.json');
    writeFileSync(out, created.stdout);
    for (const [flag, branch] of [[[], 0] as const, [['--change'], 1] as const]) {
      const run = await kura(['wallet', 'addresses', '--wallet', out, '--count', '20', ...flag, '--json']);
      const rows = run.json<{ index: number; address: string; change: boolean }[]>();
      expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(rows.every((r) => r.change === (branch === 1))).toBe(true);
      expect(rows.map((r) => r.address)).toEqual(independentAddresses(network, branch, 20));
    }
  });
});

describe('kura wallet create', () => {
  it('makes the same wallet whatever the order of cosigners, with checksummed descriptors', async () => {
    const dir = tempDir();
    const homes = await threeSigners(dir, 'regtest');
    const a = (await createWallet(dir, homes)).json<WalletJson>();
    const b = (await createWallet(dir, [...homes].reverse())).json<WalletJson>();
    expect(b.walletId).toBe(a.walletId);
    expect(a.descriptor).toMatch(
      /^wsh\(sortedmulti\(2,(\[[0-9a-f]{8}\/48h\/1h\/0h\/2h\]tpub\w+\/<0;1>\/\*,?){3}\)\)#\w{8}$/,
    );
  });

  it('accepts key-origin strings and SLIP-132 Vpub keys for the same wallet', async () => {
    const dir = tempDir();
    const homes = await threeSigners(dir, 'regtest');
    const reference = (await createWallet(dir, homes)).json<WalletJson>();
    const origins = reference.cosigners.map((c) => c.keyOrigin);
    const asVpub = origins.map((o, i) => (i === 0 ? toVersion(o, 0x02575483) : o));
    const args = ['wallet', 'create', '--threshold', '2', '--name', 'treasury', '--network', 'regtest'];
    const run = await kura([
      ...args,
      '--out',
      join(dir, 'x.json'),
      ...asVpub.flatMap((o) => ['--cosigner', o]),
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.json<WalletJson>().walletId).toBe(reference.walletId);
  });

  it.each([
    { description: 'M = 0', threshold: '0', code: 'THRESHOLD_INVALID' },
    { description: 'M > N', threshold: '4', code: 'THRESHOLD_INVALID' },
  ])('refuses $description', async ({ threshold, code }) => {
    const dir = tempDir();
    const homes = await threeSigners(dir, 'regtest');
    const args = ['wallet', 'create', '--threshold', threshold, '--name', 'w', '--out', join(dir, 'w.json')];
    const run = await kura([
      ...args,
      ...homes.flatMap((h) => ['--cosigner', join(h, 'cosigner.json')]),
      '--json',
    ]);
    expect(errorCode(run)).toBe(code);
  });

  it('refuses more than 15 cosigners', async () => {
    const dir = tempDir();
    const homes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        restoreSigner(dir, 'alice', 'regtest', { account: i, home: `a${i}` }),
      ),
    );
    const args = ['wallet', 'create', '--threshold', '2', '--name', 'w', '--out', join(dir, 'w.json')];
    const run = await kura([
      ...args,
      ...homes.flatMap((h) => ['--cosigner', join(h, 'cosigner.json')]),
      '--json',
    ]);
    expect(errorCode(run)).toBe('TOO_MANY_COSIGNERS');
  });

  describe('key refusals', () => {
    const cases: {
      description: string;
      mutate: (origins: string[], mainnet: string[]) => string[];
      code: string;
    }[] = [
      {
        description: 'a key without origin',
        mutate: (o) => [o[0]?.replace(/^\[[^\]]*\]/, '') ?? '', ...o.slice(1)],
        code: 'KEY_ORIGIN_MISSING',
      },
      {
        description: 'a mainnet key in a regtest wallet',
        mutate: (o, m) => [m[0] ?? '', ...o.slice(1)],
        code: 'KEY_NETWORK_MISMATCH',
      },
      {
        description: 'the same key twice under another fingerprint',
        mutate: (o) => [...o.slice(0, 2), o[0]?.replace(/^\[[0-9a-f]{8}/, '[deadbeef') ?? ''],
        code: 'KEY_DUPLICATE',
      },
      {
        description: 'the same key twice under another path',
        mutate: (o) => [...o.slice(0, 2), o[0]?.replace('/48h/1h/0h/2h]', '/48h/1h/7h/2h]') ?? ''],
        code: 'KEY_DUPLICATE',
      },
      {
        description: 'the same key twice with other version bytes (Vpub)',
        mutate: (o) => [...o.slice(0, 2), toVersion(o[0] ?? '', 0x02575483)],
        code: 'KEY_DUPLICATE',
      },
      {
        description: 'a P2SH-P2WSH (Upub) key',
        mutate: (o) => [toVersion(o[0] ?? '', 0x024289ef), ...o.slice(1)],
        code: 'KEY_SCRIPT_TYPE_MISMATCH',
      },
      {
        description: 'an origin path whose length disagrees with the key depth',
        mutate: (o) => [o[0]?.replace('/48h/1h/0h/2h]', '/48h/1h/0h]') ?? '', ...o.slice(1)],
        code: 'KEY_ORIGIN_MISMATCH',
      },
      {
        description: 'a damaged key',
        mutate: (o) => [(o[0] ?? '').slice(0, -2) + 'zz', ...o.slice(1)],
        code: 'KEY_INVALID',
      },
    ];
    it.each(cases)('refuses $description', async ({ mutate, code }) => {
      const dir = tempDir();
      const reference = (await createWallet(dir, await threeSigners(dir, 'regtest'))).json<WalletJson>();
      const mainnetHome = await restoreSigner(dir, 'alice', 'mainnet', { home: 'alice-main' });
      const mainnet = [
        JSON.parse(readFileSync(join(mainnetHome, 'cosigner.json'), 'utf8')).keyOrigin as string,
      ];
      const keys = mutate(
        reference.cosigners.map((c) => c.keyOrigin),
        mainnet,
      );
      const args = ['wallet', 'create', '--threshold', '2', '--name', 'w', '--network', 'regtest'];
      const run = await kura([
        ...args,
        '--out',
        join(dir, 'w.json'),
        ...keys.flatMap((k) => ['--cosigner', k]),
        '--json',
      ]);
      expect(errorCode(run)).toBe(code);
    });
  });

  it('refuses a cosigner file of another network', async () => {
    const dir = tempDir();
    const homes = await threeSigners(dir, 'regtest');
    const run = await createWallet(dir, homes, ['--network', 'mainnet']);
    expect(errorCode(run)).toBe('KEY_NETWORK_MISMATCH');
  });

  it('never overwrites its output file', async () => {
    const dir = tempDir();
    const homes = await threeSigners(dir, 'regtest');
    const out = writeTemp(dir, 'taken.json', 'keep me');
    const args = ['wallet', 'create', '--threshold', '2', '--name', 'w', '--out', out];
    const run = await kura([
      ...args,
      ...homes.flatMap((h) => ['--cosigner', join(h, 'cosigner.json')]),
      '--json',
    ]);
    expect(errorCode(run)).toBe('FILE_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });
});

describe('kura wallet show', () => {
  it('shows a valid file and refuses an edited one', async () => {
    const dir = tempDir();
    const created = await createWallet(dir, await threeSigners(dir, 'regtest'));
    const path = writeTemp(dir, 'wallet.json', created.stdout);
    expect((await kura(['wallet', 'show', '--wallet', path])).code).toBe(0);
    const wallet = JSON.parse(created.stdout) as Record<string, unknown>;
    const edits: [string, Record<string, unknown>, string][] = [
      ['walletId', { walletId: '00'.repeat(32) }, 'WALLET_ID_MISMATCH'],
      ['threshold', { threshold: 1 }, 'WALLET_ID_MISMATCH'],
      [
        'descriptor checksum',
        { descriptor: (wallet.descriptor as string).replace(/#\w+$/, '#qqqqqqqq') },
        'DESCRIPTOR_CHECKSUM_INVALID',
      ],
      ['kind', { kind: 'kura-cosigner' }, 'ARTIFACT_INVALID'],
      ['network', { network: 'mainnet' }, 'KEY_NETWORK_MISMATCH'],
    ];
    for (const [name, edit, code] of edits) {
      chmodSync(path, 0o600);
      writeFileSync(path, JSON.stringify({ ...wallet, ...edit }));
      const run = await kura(['wallet', 'show', '--wallet', path, '--json']);
      expect(errorCode(run), name).toBe(code);
    }
    writeFileSync(path, '{ not json');
    expect(errorCode(await kura(['wallet', 'show', '--wallet', path, '--json']))).toBe('JSON_MALFORMED');
    expect(errorCode(await kura(['wallet', 'show', '--wallet', join(dir, 'none.json'), '--json']))).toBe(
      'FILE_NOT_FOUND',
    );
  });
});

/** Re-encodes the extended key inside a key-origin string with other version bytes. */
function toVersion(origin: string, version: number): string {
  const match = /^(\[[^\]]*\])(\w+)$/.exec(origin);
  const payload = Uint8Array.from(bs58check.decode(match?.[2] ?? ''));
  payload.set([version >>> 24, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff], 0);
  return `${match?.[1] ?? ''}${bs58check.encode(payload)}`;
}
