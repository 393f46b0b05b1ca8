// `kura policy check|show` driven as an operator would, on the example policies, in temporary
// folders. Exit codes: 0 acceptable (approvals still to collect), 2 usage, 3 bad input, 4 refused.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { destinationScript, requestToJson } from '../../src/approvals/request.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const TREASURY = join(root, 'policies', 'treasury.json');
const EXCHANGE = join(root, 'policies', 'exchange-hot-to-cold.json');
const TREASURY_HASH = bytesToHex(sha256(readFileSync(TREASURY)));
const WALLET = 'd4495213697ea605214146a07cb12a104a0ef1016a2d4d49de90b853ad539f1d';
const NOW = '1767225600'; // 2026-01-01T00:00:00Z
const OTC_DESK = 'bcrt1q2afxkxs4xn2tmeugy5egzeylct53m3ctmpvhjv'; // allowlisted since 2025-01-01
const SUPPLIER = 'mv5km39Szt6zbmaqLqFHAYbWhRxezQEFAy'; // allowlisted 2026-01-01, cooling 7 days
const HOT_WALLET = 'bcrt1qrpg5pw65wp9fuu6szma202xmaezyn0wunf43xk'; // allowlisted by the exchange policy
const DENIED = 'bcrt1qvz4ry4yany9qnp3m3l2vucg7h4ctkvgt22rk8y'; // on denylist.example.txt

function requestFile(
  dir: string,
  fields: { destination?: string; amountSat?: bigint; policyHash?: string; expiresAt?: number } = {},
): string {
  const destination = fields.destination ?? OTC_DESK;
  const json = requestToJson({
    walletId: WALLET,
    requestId: '44'.repeat(32),
    network: 'regtest',
    destination,
    scriptPubKey: destinationScript(destination, 'regtest'),
    amountSat: fields.amountSat ?? 100_000_000n,
    policyHash: fields.policyHash ?? TREASURY_HASH,
    expiresAt: fields.expiresAt ?? 1_800_000_000,
  });
  return writeTemp(dir, 'request.json', JSON.stringify(json, null, 2));
}

const check = (request: string, ...extra: string[]) =>
  kura(['policy', 'check', '--policy', TREASURY, '--request', request, '--now', NOW, ...extra]);

interface CheckJson {
  allowed: boolean;
  acceptable: boolean;
  policyHash: string;
  tier: { index: number; approvals: number; requiredRoles: string[]; delaySeconds: number } | null;
  reasons: { code: string; field: string; message: string }[];
}

interface ErrorJson {
  error: { code: string; details: { reasons: { code: string; field: string }[]; policyHash: string } };
}

describe('kura policy check', () => {
  it('calls a request acceptable when only approvals are missing, and says which', async () => {
    const run = await check(requestFile(tempDir()));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^acceptable, needs 3 approvals \(roles treasury, compliance\), then 14400 s after the last approval$/m,
    );
    expect(run.stdout).toContain(TREASURY_HASH);
    expect(run.stdout).toContain('APPROVAL_QUORUM_NOT_MET');
  });

  it('prints the decision as JSON with the policy hash, the tier and every reason', async () => {
    const run = await check(requestFile(tempDir(), { amountSat: 10_000_000n }), '--json');
    expect(run.code).toBe(0);
    const out = run.json<CheckJson>();
    expect(out).toMatchObject({ allowed: false, acceptable: true, policyHash: TREASURY_HASH });
    expect(out.tier).toMatchObject({ index: 0, approvals: 2, requiredRoles: ['treasury'], delaySeconds: 0 });
    expect(out.reasons.map((r) => r.code)).toEqual(['APPROVAL_QUORUM_NOT_MET', 'APPROVAL_QUORUM_NOT_MET']);
  });

  it('refuses with the single reason’s own code and exit code 4', async () => {
    const run = await check(requestFile(tempDir(), { destination: SUPPLIER }), '--json');
    expect(run.code).toBe(4);
    expect(errorCode(run)).toBe('POLICY_DESTINATION_COOLING');
    const details = run.json<ErrorJson>().error.details;
    expect(details.policyHash).toBe(TREASURY_HASH);
    expect(details.reasons.map((r) => r.code)).toContain('APPROVAL_QUORUM_NOT_MET');
  });

  it('accepts the same destination once its cooling period is over', async () => {
    const run = await kura([
      'policy',
      'check',
      '--policy',
      TREASURY,
      '--request',
      requestFile(tempDir(), { destination: SUPPLIER }),
      '--now',
      String(Number(NOW) + 7 * 86400),
    ]);
    expect(run.code).toBe(0);
  });

  it('lists every hard reason, one per line, and refuses with POLICY_REFUSED', async () => {
    const run = await check(requestFile(tempDir(), { destination: DENIED, amountSat: 9_000_000_000n }));
    expect(run.code).toBe(4);
    expect(errorCode(run)).toBe('POLICY_REFUSED');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`REFUSED: 9000000000 sats to ${DENIED}`);
    for (const expected of [
      /^ {2}POLICY_LIMIT_EXCEEDED {2}"limits\.perWithdrawalSat"/,
      /^ {2}POLICY_LIMIT_EXCEEDED {2}"tiers"/,
      /^ {2}POLICY_LIMIT_EXCEEDED {2}"limits\.rolling24h\.amountSat"/,
      /^ {2}POLICY_DESTINATION_DENIED {2}"destination"/,
      /^ {2}POLICY_DESTINATION_NOT_ALLOWED {2}"destination"/,
    ]) {
      expect(lines.some((l) => expected.test(l))).toBe(true);
    }
    expect(run.stderr).toMatch(/^kura: POLICY_REFUSED: the policy refuses this for 5 reasons/);
  });

  it('counts --usage-sat and --usage-count against the rolling 24 h limits', async () => {
    const request = requestFile(tempDir());
    const amount = await check(request, '--usage-sat', '2900000001', '--json');
    expect(errorCode(amount)).toBe('POLICY_LIMIT_EXCEEDED');
    const count = await check(request, '--usage-count', '10', '--json');
    expect(errorCode(count)).toBe('POLICY_LIMIT_EXCEEDED');
    expect((await check(request, '--usage-sat', '2900000000', '--usage-count', '9')).code).toBe(0);
  });

  it('refuses a request made under another policy, or expired', async () => {
    const dir = tempDir();
    const other = await kura([
      'policy',
      'check',
      '--policy',
      EXCHANGE,
      '--request',
      requestFile(dir, { destination: HOT_WALLET }),
      '--now',
      NOW,
    ]);
    expect(errorCode(other)).toBe('POLICY_HASH_MISMATCH');
    expect(other.code).toBe(4);
    const expired = await check(requestFile(dir, { expiresAt: Number(NOW) }));
    expect(errorCode(expired)).toBe('APPROVAL_EXPIRED');
  });

  it('refuses bad flags with exit code 2 and bad files with exit code 3', async () => {
    const dir = tempDir();
    const request = requestFile(dir);
    for (const flags of [
      ['--usage-sat', '-1'],
      ['--usage-sat', '1e8'],
      ['--usage-sat', '2100000000000001'],
      ['--usage-count', 'x'],
      ['--now', 'yesterday'],
    ]) {
      const run = await check(request, ...flags, '--json');
      expect(run.code, flags.join(' ')).toBe(2);
      expect(errorCode(run)).toBe('ARGUMENT_INVALID');
    }
    const missing = await check(join(dir, 'nope.json'));
    expect([missing.code, errorCode(missing)]).toEqual([3, 'FILE_NOT_FOUND']);
    const notRequest = await check(writeTemp(dir, 'bad.json', '{"kind":"kura-wallet"}'));
    expect([notRequest.code, errorCode(notRequest)]).toEqual([3, 'REQUEST_INVALID']);
    const notJson = await check(writeTemp(dir, 'bad2.json', '{'));
    expect([notJson.code, errorCode(notJson)]).toEqual([3, 'JSON_MALFORMED']);
  });

  it('has help with examples', async () => {
    const run = await kura(['policy', 'check', '--help']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--usage-sat');
  });
});

describe('kura policy show', () => {
  it('prints the policy with its hash, the SHA-256 of the file', async () => {
    const run = await kura(['policy', 'show', '--policy', TREASURY]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^policy +${TREASURY_HASH}$`, 'm'));
    expect(run.stdout).toContain('compliance-heidi');
    expect(run.stdout).toContain(
      'up to 500000000 sats (5.00000000 BTC): 3 approvals (roles treasury, compliance)',
    );
    expect(run.stdout).toMatch(/screening +3 denied addresses from denylist\.example\.txt/);
  });

  it('prints JSON with amounts as decimal strings', async () => {
    const run = await kura(['policy', 'show', '--policy', EXCHANGE, '--json']);
    expect(run.code).toBe(0);
    const out = run.json<{ policyHash: string; limits: { perWithdrawalSat: string }; officers: unknown[] }>();
    expect(out.policyHash).toBe(bytesToHex(sha256(readFileSync(EXCHANGE))));
    expect(out.limits.perWithdrawalSat).toBe('5000000000');
    expect(out.officers).toHaveLength(4);
  });

  it('refuses a policy whose denylist was edited or is missing', async () => {
    const dir = tempDir();
    copyFileSync(TREASURY, join(dir, 'treasury.json'));
    const missing = await kura(['policy', 'show', '--policy', join(dir, 'treasury.json'), '--json']);
    expect([missing.code, errorCode(missing)]).toEqual([3, 'FILE_NOT_FOUND']);
    const text = readFileSync(join(root, 'policies', 'denylist.example.txt'), 'utf8');
    writeFileSync(join(dir, 'denylist.example.txt'), text.replace(`${DENIED}\n`, ''));
    const edited = await kura(['policy', 'show', '--policy', join(dir, 'treasury.json'), '--json']);
    expect([edited.code, errorCode(edited)]).toEqual([4, 'POLICY_HASH_MISMATCH']);
  });

  it('refuses an invalid policy naming the field', async () => {
    const dir = tempDir();
    const json = JSON.parse(readFileSync(TREASURY, 'utf8')) as { tiers: { approvals: number }[] };
    json.tiers[1] = { ...json.tiers[1], approvals: 9 } as { approvals: number };
    copyFileSync(join(root, 'policies', 'denylist.example.txt'), join(dir, 'denylist.example.txt'));
    const path = writeTemp(dir, 'policy.json', JSON.stringify(json));
    const run = await kura(['policy', 'show', '--policy', path]);
    expect([run.code, errorCode(run)]).toEqual([3, 'POLICY_INVALID']);
    expect(run.stderr).toContain('"tiers[1].approvals" must be an integer from 1 to 5');
  });
});
