// `kura officer keys create|show` and `kura officer approve`, driven as an officer would, in
// temporary folders.
import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseApproval, verifyApproval } from '../../src/approvals/approval.js';
import { parseRequest } from '../../src/approvals/request.js';
import { TEST_PASSPHRASE } from '../fixtures/seeds.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';

const now = () => Math.floor(Date.now() / 1000);

function requestJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'kura-request',
    version: 1,
    walletId: 'a1'.repeat(32),
    requestId: 'b2'.repeat(32),
    network: 'regtest',
    destination: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
    amountSat: '1500000',
    policyHash: 'c3'.repeat(32),
    expiresAt: now() + 86_400,
    ...overrides,
  };
}

interface Created {
  readonly path: string;
  readonly id: string | null;
  readonly publicKey: string;
}

describe('kura officer keys', () => {
  it('creates a key with a passphrase typed twice, written 0400, and prints its x-only public key', async () => {
    const dir = tempDir();
    const out = join(dir, 'alice.officer-key.json');
    const run = await kura(['officer', 'keys', 'create', '--out', out, '--id', 'alice', '--json'], {
      secrets: [TEST_PASSPHRASE, TEST_PASSPHRASE],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const created = run.json<Created>();
    expect(created).toMatchObject({ path: out, id: 'alice' });
    expect(created.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(out).mode & 0o777).toBe(0o400);
    const file = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({
      kind: 'kura-officer-key',
      version: 1,
      id: 'alice',
      publicKey: created.publicKey,
    });

    const shown = await kura(['officer', 'keys', 'show', '--key', out, '--json']);
    expect(shown.json()).toEqual({ id: 'alice', publicKey: created.publicKey });
    const human = await kura(['officer', 'keys', 'show', '--key', out]);
    expect(human.stdout).toContain(created.publicKey);
  });

  it('reads the passphrase from a file when there is no terminal, and needs one of the two', async () => {
    const dir = tempDir();
    const noTty = await kura(['officer', 'keys', 'create', '--out', join(dir, 'k.json'), '--json']);
    expect(errorCode(noTty)).toBe('INPUT_REQUIRED');
    expect(existsSync(join(dir, 'k.json'))).toBe(false);
    const pass = writeTemp(dir, 'pass', `${TEST_PASSPHRASE}\n`);
    const run = await kura([
      'officer',
      'keys',
      'create',
      '--out',
      join(dir, 'k.json'),
      '--passphrase-file',
      pass,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/public key {2}[0-9a-f]{64}/);
    expect(run.stdout).toMatch(/officer id {2}\(none\)/);
  });

  it('refuses a short passphrase and two different entries, writing nothing', async () => {
    const dir = tempDir();
    const out = join(dir, 'k.json');
    const short = await kura(['officer', 'keys', 'create', '--out', out, '--json'], {
      secrets: ['short', 'short'],
    });
    expect(errorCode(short)).toBe('PASSPHRASE_TOO_SHORT');
    const differ = await kura(['officer', 'keys', 'create', '--out', out, '--json'], {
      secrets: [TEST_PASSPHRASE, `${TEST_PASSPHRASE}!`],
    });
    expect(errorCode(differ)).toBe('PASSPHRASE_MISMATCH');
    expect(existsSync(out)).toBe(false);
  });

  it('never replaces an existing file', async () => {
    const dir = tempDir();
    const out = writeTemp(dir, 'k.json', 'precious\n');
    const run = await kura(['officer', 'keys', 'create', '--out', out, '--json'], {
      secrets: [TEST_PASSPHRASE, TEST_PASSPHRASE],
    });
    expect(errorCode(run)).toBe('OFFICER_KEY_EXISTS');
    expect(run.code).toBe(6);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
  });

  it('refuses an id a policy could not hold', async () => {
    const dir = tempDir();
    const run = await kura([
      'officer',
      'keys',
      'create',
      '--out',
      join(dir, 'k.json'),
      '--id',
      'alice smith',
    ]);
    expect(errorCode(run)).toBe('ARGUMENT_INVALID');
  });

  it('names a damaged or foreign key file', async () => {
    const dir = tempDir();
    const notJson = await kura([
      'officer',
      'keys',
      'show',
      '--key',
      writeTemp(dir, 'a', '{"kind": "kura-off'),
    ]);
    expect(errorCode(notJson)).toBe('KEYSTORE_CORRUPT');
    const foreign = await kura([
      'officer',
      'keys',
      'show',
      '--key',
      writeTemp(dir, 'b', '{"kind": "kura-keystore"}'),
    ]);
    expect(errorCode(foreign)).toBe('KEYSTORE_CORRUPT');
    const missing = await kura(['officer', 'keys', 'show', '--key', join(dir, 'nothing.json')]);
    expect(errorCode(missing)).toBe('FILE_NOT_FOUND');
  });
});

describe('kura officer approve', () => {
  let dir: string;
  let key: string;
  let publicKey: string;
  let pass: string;

  beforeAll(async () => {
    dir = tempDir();
    key = join(dir, 'alice.officer-key.json');
    pass = writeTemp(dir, 'pass', `${TEST_PASSPHRASE}\n`);
    const run = await kura([
      'officer',
      'keys',
      'create',
      '--out',
      key,
      '--id',
      'alice',
      '--passphrase-file',
      pass,
      '--json',
    ]);
    expect(run.code).toBe(0);
    publicKey = run.json<Created>().publicKey;
  });

  function requestFile(name: string, overrides: Record<string, unknown> = {}): string {
    return writeTemp(dir, name, `${JSON.stringify(requestJson(overrides), null, 2)}\n`);
  }

  it('shows the request in full, asks for "approve" and the passphrase, and writes a verifying approval', async () => {
    const request = requestFile('r1.json');
    const out = join(dir, 'r1.approval.json');
    const run = await kura(
      ['officer', 'approve', '--key', key, '--request', request, '--out', out, '--json'],
      {
        asks: ['approve'],
        secrets: [TEST_PASSPHRASE],
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const expected = requestJson();
    for (const shown of [
      'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
      '0.01500000 BTC',
      '1,500,000 sats',
      expected.walletId as string,
      expected.requestId as string,
      expected.policyHash as string,
      new Date((expected.expiresAt as number) * 1000).toISOString().slice(0, 10),
      publicKey,
      'Type "approve"',
    ]) {
      expect(run.said).toContain(shown);
    }
    expect(statSync(out).mode & 0o222).toBe(0);
    const approval = parseApproval(JSON.parse(readFileSync(out, 'utf8')));
    const result = verifyApproval(approval, parseRequest(JSON.parse(readFileSync(request, 'utf8'))));
    expect(result.officerPublicKey).toBe(publicKey);
    expect(Math.abs(result.approvedAt - now())).toBeLessThan(60);
    expect(run.json<{ path: string; approval: unknown }>()).toEqual({ path: out, approval });
  });

  it('writes <request>.<key>.approval.json in the current folder by default', async () => {
    const request = requestFile('r2.json', { requestId: 'd4'.repeat(32) });
    const here = tempDir();
    const before = process.cwd();
    process.chdir(here);
    try {
      const run = await kura(
        ['officer', 'approve', '--key', key, '--request', request, '--passphrase-file', pass],
        {
          asks: ['approve'],
        },
      );
      expect(run.code).toBe(0);
    } finally {
      process.chdir(before);
    }
    const name = `${'d4'.repeat(6)}.${publicKey.slice(0, 8)}.approval.json`;
    expect(existsSync(join(here, name))).toBe(true);
  });

  it('signs nothing and writes nothing when the officer does not type "approve"', async () => {
    const request = requestFile('r3.json');
    const out = join(dir, 'r3.approval.json');
    // No secret is scripted: asking for the passphrase would fail the run another way.
    const run = await kura(
      ['officer', 'approve', '--key', key, '--request', request, '--out', out, '--json'],
      {
        asks: ['yes'],
      },
    );
    expect(errorCode(run)).toBe('CONFIRMATION_DECLINED');
    expect(run.code).toBe(7);
    expect(existsSync(out)).toBe(false);
  });

  it('needs a terminal to confirm, or --yes', async () => {
    const request = requestFile('r4.json');
    const out = join(dir, 'r4.approval.json');
    const args = [
      'officer',
      'approve',
      '--key',
      key,
      '--request',
      request,
      '--out',
      out,
      '--passphrase-file',
      pass,
    ];
    const noTty = await kura([...args, '--json']);
    expect(errorCode(noTty)).toBe('INTERACTIVE_REQUIRED');
    expect(existsSync(out)).toBe(false);
    const yes = await kura([...args, '--yes', '--json']);
    expect(yes.code).toBe(0);
    expect(yes.said).toContain('0.01500000 BTC');
    expect(existsSync(out)).toBe(true);
  });

  it('refuses a wrong passphrase, writing nothing', async () => {
    const request = requestFile('r5.json');
    const out = join(dir, 'r5.approval.json');
    const run = await kura(
      ['officer', 'approve', '--key', key, '--request', request, '--out', out, '--json'],
      {
        asks: ['approve'],
        secrets: ['not the passphrase'],
      },
    );
    expect(errorCode(run)).toBe('KEYSTORE_PASSPHRASE_WRONG');
    expect(run.code).toBe(5);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an expired request before asking anything', async () => {
    const request = requestFile('r6.json', { expiresAt: now() - 1 });
    const run = await kura(
      ['officer', 'approve', '--key', key, '--request', request, '--out', join(dir, 'r6.a.json')],
      {
        interactive: true,
      },
    );
    expect(errorCode(run)).toBe('APPROVAL_EXPIRED');
  });

  it('refuses an invalid request and never replaces an approval file', async () => {
    const bad = requestFile('r7.json', { amountSat: '0' });
    const invalid = await kura([
      'officer',
      'approve',
      '--key',
      key,
      '--request',
      bad,
      '--yes',
      '--passphrase-file',
      pass,
    ]);
    expect(errorCode(invalid)).toBe('AMOUNT_INVALID');
    const noKind = requestFile('r8.json', { kind: 'kura-approval' });
    const wrongKind = await kura([
      'officer',
      'approve',
      '--key',
      key,
      '--request',
      noKind,
      '--yes',
      '--passphrase-file',
      pass,
    ]);
    expect(errorCode(wrongKind)).toBe('REQUEST_INVALID');

    const request = requestFile('r9.json');
    const out = writeTemp(dir, 'r9.approval.json', 'earlier\n');
    const exists = await kura([
      'officer',
      'approve',
      '--key',
      key,
      '--request',
      request,
      '--out',
      out,
      '--yes',
      '--passphrase-file',
      pass,
    ]);
    expect(errorCode(exists)).toBe('FILE_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('earlier\n');
  });

  it('refuses a key file whose public key was edited', async () => {
    const edited = join(dir, 'edited.officer-key.json');
    const file = JSON.parse(readFileSync(key, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      edited,
      JSON.stringify({
        ...file,
        publicKey: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
      }),
    );
    chmodSync(edited, 0o400);
    const run = await kura([
      'officer',
      'approve',
      '--key',
      edited,
      '--request',
      requestFile('r10.json'),
      '--yes',
      '--passphrase-file',
      pass,
    ]);
    expect(errorCode(run)).toBe('KEYSTORE_CORRUPT');
  });
});
