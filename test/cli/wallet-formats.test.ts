// `kura wallet export|import` through the real CLI: a wallet created from cosigner files goes
// out as Caravan, Coldcard and Bitcoin Core files and comes back with the same wallet id;
// refusals have their codes and exit codes and leave no file behind.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { errorCode, kura, tempDir } from '../helpers/cli.js';
import { restoreSigner } from '../helpers/keys.js';

interface WalletJson {
  walletId: string;
  name: string;
  receiveDescriptor: string;
  changeDescriptor: string;
}

let dir: string;
let walletPath: string;
let created: WalletJson;

beforeAll(async () => {
  dir = tempDir('kura-formats-');
  const homes = [
    await restoreSigner(dir, 'alice', 'regtest'),
    await restoreSigner(dir, 'bob', 'regtest'),
    await restoreSigner(dir, 'carol', 'regtest'),
  ];
  walletPath = join(dir, 'treasury.wallet.json');
  const args = ['wallet', 'create', '--threshold', '2', '--name', 'treasury', '--out', walletPath, '--json'];
  const run = await kura([...args, ...homes.flatMap((h) => ['--cosigner', join(h, 'cosigner.json')])]);
  expect(run.code).toBe(0);
  created = run.json<WalletJson>();
}, 60_000);

let counter = 0;
const fresh = (name: string) => join(dir, `${++counter}-${name}`);

async function exportTo(format: string, extra: string[] = []): Promise<string> {
  const out = fresh(`export.${format}`);
  const run = await kura([
    'wallet',
    'export',
    '--wallet',
    walletPath,
    '--format',
    format,
    '--out',
    out,
    ...extra,
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return out;
}

describe('kura wallet export then import', () => {
  it.each([
    ['caravan', []],
    ['coldcard', ['--network', 'regtest']],
  ])(
    '%s: the imported wallet has the id of the wallet created from the cosigner files',
    async (format, extra) => {
      const exported = await exportTo(format);
      const out = fresh('imported.wallet.json');
      const run = await kura([
        'wallet',
        'import',
        '--format',
        format,
        '--in',
        exported,
        '--name',
        'treasury',
        '--out',
        out,
        ...extra,
        '--json',
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.json<WalletJson>().walletId).toBe(created.walletId);
      // The written wallet file is a kura wallet file that `wallet show` accepts, byte for byte the same.
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(walletPath, 'utf8'));
      const shown = await kura(['wallet', 'show', '--wallet', out, '--json']);
      expect(shown.json<WalletJson>().walletId).toBe(created.walletId);
    },
  );

  it('prints the Bitcoin Core request when no --out is given, with --timestamp', async () => {
    const run = await kura([
      'wallet',
      'export',
      '--wallet',
      walletPath,
      '--format',
      'descriptor',
      '--timestamp',
      'now',
    ]);
    expect(run.code).toBe(0);
    const request = JSON.parse(run.stdout) as { desc: string; internal: boolean; timestamp: unknown }[];
    expect(request.map((r) => [r.desc, r.internal, r.timestamp])).toEqual([
      [created.receiveDescriptor, false, 'now'],
      [created.changeDescriptor, true, 'now'],
    ]);
    const json = await kura(['wallet', 'export', '--wallet', walletPath, '--format', 'descriptor', '--json']);
    const wrapped = json.json<{ format: string; walletId: string; content: string }>();
    expect(wrapped).toMatchObject({ format: 'descriptor', walletId: created.walletId });
    expect(JSON.parse(wrapped.content)).toHaveLength(2);
  });

  it('writes the Coldcard file under another --name when the wallet name does not fit Coldcard', async () => {
    const out = await exportTo('coldcard', ['--name', 'vault']);
    expect(readFileSync(out, 'utf8')).toMatch(/^Name: vault$/m);
  });
});

describe('refusals', () => {
  it('never overwrites an existing file', async () => {
    const out = fresh('taken.json');
    writeFileSync(out, 'keep me');
    const run = await kura([
      'wallet',
      'export',
      '--wallet',
      walletPath,
      '--format',
      'caravan',
      '--out',
      out,
      '--json',
    ]);
    expect(errorCode(run)).toBe('FILE_EXISTS');
    expect(run.code).toBe(ERROR_CODES.FILE_EXISTS.exit);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });

  it.each([
    {
      description: 'an unknown export format',
      args: ['export', '--format', 'electrum'],
      code: 'ARGUMENT_INVALID',
    },
    {
      description: 'an unknown import format',
      args: ['import', '--format', 'descriptor'],
      code: 'ARGUMENT_INVALID',
    },
    {
      description: 'a bad --timestamp',
      args: ['export', '--format', 'descriptor', '--timestamp', 'yesterday'],
      code: 'ARGUMENT_INVALID',
    },
    {
      description: 'a Coldcard name of more than 20 characters',
      args: ['export', '--format', 'coldcard', '--name', 'x'.repeat(21)],
      code: 'ARGUMENT_INVALID',
    },
  ])('refuses $description', async ({ args, code }) => {
    const out = fresh('never.txt');
    const [sub, ...rest] = args;
    const common =
      sub === 'export'
        ? ['--wallet', walletPath, '--out', out]
        : ['--in', walletPath, '--name', 'w', '--out', out];
    const run = await kura(['wallet', sub ?? '', ...rest, ...common, '--json']);
    expect(errorCode(run)).toBe(code);
    expect(run.code).toBe(ERROR_CODES.ARGUMENT_INVALID.exit);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a P2SH Caravan wallet with its code and exit code, and writes nothing', async () => {
    const exported = JSON.parse(readFileSync(await exportTo('caravan'), 'utf8')) as Record<string, unknown>;
    const input = fresh('p2sh.caravan.json');
    writeFileSync(input, JSON.stringify({ ...exported, addressType: 'P2SH' }));
    const out = fresh('never.wallet.json');
    const run = await kura([
      'wallet',
      'import',
      '--format',
      'caravan',
      '--in',
      input,
      '--name',
      'w',
      '--out',
      out,
    ]);
    expect(run.stderr).toMatch(/^kura: WALLET_IMPORT_UNSUPPORTED: "addressType"/);
    expect(run.code).toBe(ERROR_CODES.WALLET_IMPORT_UNSUPPORTED.exit);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a Coldcard file of test keys without --network, and a missing file', async () => {
    const exported = await exportTo('coldcard');
    const out = fresh('never.wallet.json');
    const args = ['wallet', 'import', '--format', 'coldcard', '--name', 'w', '--out', out, '--json'];
    expect(errorCode(await kura([...args, '--in', exported]))).toBe('INPUT_REQUIRED');
    expect(errorCode(await kura([...args, '--in', join(dir, 'missing.txt')]))).toBe('FILE_NOT_FOUND');
    expect(existsSync(out)).toBe(false);
  });
});
