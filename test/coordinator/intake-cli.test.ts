// `kura request submit|list|show|cancel`, `kura approval submit` and `kura coordinator serve`
// through the real program (test/helpers/cli.ts) on a real home. These run on the system clock,
// as the commands do.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKura } from '../../cli/main.js';
import { approvalFileText, signApproval } from '../../src/approvals/approval.js';
import { parseRequest, requestToJson } from '../../src/approvals/request.js';
import type { WithdrawalView } from '../../src/coordinator/intake/index.js';
import { errorCode, kura, scripted, tempDir, writeTemp } from '../helpers/cli.js';
import { OFFICERS, testDestination } from '../helpers/scenario.js';
import { auditHead, makeIntakeHome, type IntakeHome } from './intake-fixture.js';

let h: IntakeHome;
let dir: string;

beforeEach(() => {
  h = makeIntakeHome({}, null);
  dir = tempDir('kura-intake-cli-');
});
afterEach(() => h.close());

function submit(key: string, amountSat = '50000000', destination = testDestination(1), extra: string[] = []) {
  return kura([
    'request',
    'submit',
    '--home',
    h.path,
    '--destination',
    destination,
    '--amount-sat',
    amountSat,
    '--idempotency-key',
    key,
    '--json',
    ...extra,
  ]);
}

async function submitted(key: string, amountSat?: string): Promise<WithdrawalView> {
  const run = await submit(key, amountSat);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.json<{ withdrawal: WithdrawalView }>().withdrawal;
}

/** Signs an approval of the request file as test officer `officer` and writes the approval file. */
function approvalFile(requestFile: string, officer: number, name = `a${officer}.approval.json`): string {
  const o = OFFICERS[officer];
  if (o === undefined) throw new Error('no officer');
  const request = parseRequest(JSON.parse(readFileSync(requestFile, 'utf8')));
  const approval = signApproval(request, o.privateKey, Math.floor(Date.now() / 1000) - 5);
  return writeTemp(dir, name, approvalFileText(approval));
}

describe('kura request', () => {
  it('submits once per key, shows, lists and cancels', async () => {
    const human = await submit('payout-1', '50000000', testDestination(1), []);
    expect(human.code).toBe(0);
    const w = human.json<{ created: boolean; withdrawal: WithdrawalView }>();
    expect(w.created).toBe(true);
    expect(w.withdrawal).toMatchObject({ state: 'pending_approval', clientId: 'cli', amountSat: '50000000' });

    const again = await submit('payout-1');
    expect(again.json<{ created: boolean }>().created).toBe(false);
    const conflict = await submit('payout-1', '50000001');
    expect(errorCode(conflict)).toBe('COORDINATOR_IDEMPOTENCY_CONFLICT');
    expect(conflict.code).toBe(6);

    const text = await kura([
      'request',
      'submit',
      '--home',
      h.path,
      '--destination',
      testDestination(2),
      '--amount-sat',
      '1000',
      '--idempotency-key',
      'payout-2',
    ]);
    expect(text.stdout).toMatch(/submitted: pending_approval/);
    expect(text.stdout).toMatch(/kura request show --home .* --out [0-9a-f]{12}\.request\.json/);

    const listed = await kura(['request', 'list', '--home', h.path, '--state', 'pending_approval', '--json']);
    expect(listed.json<{ withdrawals: WithdrawalView[] }>().withdrawals).toHaveLength(2);
    const shown = await kura(['request', 'show', '--home', h.path, w.withdrawal.requestId]);
    expect(shown.stdout).toMatch(/state +pending_approval/);
    expect(shown.stdout).toMatch(/0\.50000000 BTC \(50000000 sats\)/);

    const cancelled = await kura(['request', 'cancel', '--home', h.path, w.withdrawal.requestId, '--json']);
    expect(cancelled.json()).toMatchObject({ changed: true, withdrawal: { state: 'cancelled' } });
    expect((await kura(['request', 'cancel', '--home', h.path, w.withdrawal.requestId])).stdout).toMatch(
      /already cancelled/,
    );
    const none = await kura(['request', 'list', '--home', h.path, '--state', 'confirmed']);
    expect(none.stdout).toBe('No requests.\n');
  });

  it('refuses bad input with its code and exit code, writing nothing', async () => {
    const head = auditHead(h.home);
    const cases: { args: string[]; code: string; exit: number }[] = [
      {
        args: [
          'request',
          'submit',
          '--home',
          h.path,
          '--destination',
          'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
          '--amount-sat',
          '1000',
          '--idempotency-key',
          'k',
        ],
        code: 'ADDRESS_INVALID',
        exit: 3,
      },
      {
        args: [
          'request',
          'submit',
          '--home',
          h.path,
          '--destination',
          testDestination(1),
          '--amount-sat',
          '1.5',
          '--idempotency-key',
          'k',
        ],
        code: 'AMOUNT_INVALID',
        exit: 3,
      },
      {
        args: [
          'request',
          'submit',
          '--home',
          h.path,
          '--destination',
          testDestination(1),
          '--amount-sat',
          '1000',
          '--idempotency-key',
          'k',
          '--expires-in',
          '10',
        ],
        code: 'REQUEST_INVALID',
        exit: 3,
      },
      { args: ['request', 'list', '--home', h.path, '--state', 'paid'], code: 'ARGUMENT_INVALID', exit: 2 },
      { args: ['request', 'show', '--home', h.path, 'nope'], code: 'ARGUMENT_INVALID', exit: 2 },
      {
        args: ['request', 'show', '--home', h.path, 'ab'.repeat(32)],
        code: 'COORDINATOR_NOT_FOUND',
        exit: 3,
      },
      {
        args: ['request', 'list', '--home', join(dir, 'nowhere')],
        code: 'COORDINATOR_NOT_INITIALIZED',
        exit: 3,
      },
    ];
    for (const c of cases) {
      const run = await kura([...c.args, '--json']);
      expect(errorCode(run), c.args.join(' ')).toBe(c.code);
      expect(run.code, c.args.join(' ')).toBe(c.exit);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(auditHead(h.home)).toBe(head);
  });

  it('reports a policy refusal with every reason and exit code 4', async () => {
    const run = await submit('too-much', '1500000000');
    expect(run.code).toBe(4);
    const error = run.json<{
      error: { code: string; details: { reasons: { field: string }[]; requestId: string } };
    }>().error;
    expect(error.code).toBe('POLICY_REFUSED');
    expect(error.details.reasons.map((r) => r.field)).toEqual(['limits.perWithdrawalSat', 'tiers']);
    const human = await kura([
      'request',
      'submit',
      '--home',
      h.path,
      '--destination',
      testDestination(1),
      '--amount-sat',
      '1500000000',
      '--idempotency-key',
      'too-much',
    ]);
    expect(human.code).toBe(4);
    expect(human.stderr).toMatch(/rejected by the policy/);
    expect(human.stderr).toMatch(/POLICY_LIMIT_EXCEEDED: "limits.perWithdrawalSat"/);
    expect(human.stderr).toMatch(/POLICY_LIMIT_EXCEEDED: "tiers"/);
  });
});

describe('kura approval submit', () => {
  it('stores officers’ approval files of the request file `show --out` wrote, all or none', async () => {
    const w = await submitted('k');
    const requestFile = join(dir, 'request.json');
    const shown = await kura(['request', 'show', '--home', h.path, w.requestId, '--out', requestFile]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(readFileSync(requestFile, 'utf8'))).toEqual(requestToJson(parseRequest(w.request)));
    expect(
      errorCode(
        await kura(['request', 'show', '--home', h.path, w.requestId, '--out', requestFile, '--json']),
      ),
    ).toBe('FILE_EXISTS');

    const a0 = approvalFile(requestFile, 0);
    const a1 = approvalFile(requestFile, 1);
    const a2 = approvalFile(requestFile, 2);
    const forged = writeTemp(
      dir,
      'forged.json',
      readFileSync(a1, 'utf8').replace(
        /"signature": "(.)/,
        (_m, c: string) => `"signature": "${c === 'a' ? 'b' : 'a'}`,
      ),
    );
    const head = auditHead(h.home);
    const refused = await kura(['approval', 'submit', '--home', h.path, a0, forged, '--json']);
    expect(errorCode(refused)).toBe('APPROVAL_SIGNATURE_INVALID');
    expect(refused.code).toBe(4);
    expect(auditHead(h.home)).toBe(head);
    expect(
      errorCode(
        await kura(['approval', 'submit', '--home', h.path, a0, join(dir, 'missing.json'), '--json']),
      ),
    ).toBe('FILE_NOT_FOUND');
    expect(auditHead(h.home)).toBe(head);

    const run = await kura(['approval', 'submit', '--home', h.path, a0, a1, a2, '--json']);
    expect(run.stderr).toBe('');
    expect(run.json<{ approvals: { outcome: string; state: string }[] }>().approvals).toEqual([
      expect.objectContaining({ outcome: 'stored', state: 'pending_approval' }),
      expect.objectContaining({ outcome: 'stored', state: 'approved' }),
      expect.objectContaining({ outcome: 'not needed: the request is already approved', state: 'approved' }),
    ]);
    const again = await kura(['approval', 'submit', '--home', h.path, a0]);
    expect(again.stdout).toMatch(/already stored; request [0-9a-f]{64} is approved/);
  });
});

describe('kura coordinator serve', () => {
  it('refuses a non-loopback address unless --allow-remote, and a malformed one', async () => {
    const remote = await kura([
      'coordinator',
      'serve',
      '--home',
      h.path,
      '--listen',
      '0.0.0.0:8080',
      '--json',
    ]);
    expect(errorCode(remote)).toBe('ARGUMENT_INVALID');
    expect(remote.stderr).toMatch(/--allow-remote/);
    for (const listen of ['8080', 'example.com:80', '127.0.0.1:70000', '[::1:80']) {
      expect(
        errorCode(await kura(['coordinator', 'serve', '--home', h.path, '--listen', listen, '--json'])),
        listen,
      ).toBe('ARGUMENT_INVALID');
    }
  });

  it('serves the API until SIGTERM and prints its URL', async () => {
    let out = '';
    let err = '';
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    const run = runKura(['coordinator', 'serve', '--home', h.path, '--listen', '127.0.0.1:0', '--json'], {
      out: (t) => {
        out += t;
        const url = /"url": "([^"]+)"/.exec(out)?.[1];
        if (url !== undefined) announce(url);
      },
      err: (t) => void (err += t),
      interaction: scripted({ interactive: false }, []),
    });
    const url = await listening;
    const health = await fetch(`${url}/v1/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    // the only SIGTERM listener is the command's: emitting the signal stops nothing else
    expect(process.listenerCount('SIGTERM')).toBe(1);
    process.emit('SIGTERM');
    expect(await run).toBe(0);
    expect(err).toMatch(/stopped \(SIGTERM\)/);
    expect(process.listenerCount('SIGTERM')).toBe(0);
    await expect(fetch(`${url}/v1/health`)).rejects.toThrow();
  });
});
