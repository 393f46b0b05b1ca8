// --quiet, --verbose and colour (docs/cli.md): quiet leaves the data and errors, keeps the
// warnings about a key being created, and never hides what a person is asked to confirm;
// verbose adds details; colour only on a terminal without NO_COLOR.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detail, progress, type CliContext, type Verbosity } from '../../cli/context.js';
import { runKura } from '../../cli/main.js';
import { useColour, warningLine } from '../../cli/terminal.js';
import { settingsInteraction, verbosityOf } from '../../cli/verbosity.js';
import { walletFileFor } from '../../src/artifacts/walletFile.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import type { Interaction } from '../../src/interaction.js';
import { PUBLIC_TEST_MNEMONICS, TEST_PASSPHRASE } from '../fixtures/seeds.js';
import { kura, scripted, tempDir, writeTemp } from '../helpers/cli.js';
import { restoreSigner } from '../helpers/keys.js';
import { testDestination } from '../helpers/scenario.js';
import { makeIntakeHome, type IntakeHome } from '../coordinator/intake-fixture.js';

/** A context at a given verbosity whose stderr and interaction are recorded in order. */
function recorded(verbosity: Verbosity): { ctx: CliContext; log: string[] } {
  const log: string[] = [];
  const base: Interaction = {
    interactive: true,
    say: (t) => void log.push(`say ${t}`),
    warn: (t) => void log.push(`warn ${t}`),
    ask: (q) => {
      log.push(`ask ${q}`);
      return Promise.resolve('yes');
    },
    secret: (q) => {
      log.push(`secret ${q}`);
      return Promise.resolve('pw');
    },
  };
  const settings = { verbosity, unfiltered: base };
  const ctx: CliContext = {
    out: (t) => void log.push(`out ${t}`),
    err: (t) => void log.push(`err ${t}`),
    interaction: settingsInteraction(base, settings),
    settings,
  };
  return { ctx, log };
}

describe('levels', () => {
  it('reads -q and -v', () => {
    expect(verbosityOf({})).toBe('normal');
    expect(verbosityOf({ quiet: true })).toBe('quiet');
    expect(verbosityOf({ verbose: true })).toBe('verbose');
  });

  it.each([
    { verbosity: 'quiet' as const, shown: [] },
    { verbosity: 'normal' as const, shown: ['err kura: scanned 1000\n', 'say info', 'warn careful'] },
    {
      verbosity: 'verbose' as const,
      shown: ['err kura: scanned 1000\n', 'err kura: retry\n', 'say info', 'warn careful'],
    },
  ])(
    '$verbosity shows $shown.length lines of progress, details, information and warnings',
    ({ verbosity, shown }) => {
      const { ctx, log } = recorded(verbosity);
      progress(ctx, 'scanned 1000');
      detail(ctx, 'retry');
      ctx.interaction.say('info');
      ctx.interaction.warn('careful');
      expect(log).toEqual(shown);
    },
  );

  it('quiet still shows what was said before a question, just before it, once', async () => {
    const { ctx, log } = recorded('quiet');
    ctx.interaction.say('pays 1 BTC to bcrt1q…');
    await ctx.interaction.ask('Type "approve": ');
    ctx.interaction.say('dropped');
    await ctx.interaction.secret('Passphrase: ');
    expect(log).toEqual([
      'say pays 1 BTC to bcrt1q…',
      'ask Type "approve": ',
      'say dropped',
      'secret Passphrase: ',
    ]);
  });

  it('a context wired by hand (no settings) speaks at the normal level', () => {
    const log: string[] = [];
    const ctx: CliContext = {
      out: () => undefined,
      err: (t) => void log.push(t),
      interaction: scripted({}, []),
    };
    progress(ctx, 'p');
    detail(ctx, 'd');
    expect(log).toEqual(['kura: p\n']);
  });
});

describe('colour', () => {
  it.each([
    { tty: true, env: {}, colour: true },
    { tty: true, env: { NO_COLOR: '1' }, colour: false },
    { tty: true, env: { NO_COLOR: '' }, colour: true },
    { tty: true, env: { TERM: 'dumb' }, colour: false },
    { tty: false, env: {}, colour: false },
    { tty: undefined, env: {}, colour: false },
  ])('tty $tty with $env → colour $colour', ({ tty, env, colour }) => {
    expect(useColour(tty === undefined ? {} : { isTTY: tty }, env)).toBe(colour);
  });

  it('prints escape codes only in colour, and a WARNING: prefix otherwise', () => {
    expect(warningLine('x', true)).toContain('\x1b[');
    expect(warningLine('x', false)).toBe('WARNING: x\n');
  });
});

describe('the real program', () => {
  let h: IntakeHome;
  let dir: string;

  beforeAll(() => {
    h = makeIntakeHome({}, null);
    dir = tempDir('kura-verbosity-');
  });
  afterAll(() => h.close());

  it('-v names where --home came from; without it, and with -q, stderr stays empty', async () => {
    const env = { KURA_HOME: h.path };
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runKura(args, {
        out: (t) => void (stdout += t),
        err: (t) => void (stderr += t),
        interaction: scripted({ interactive: false }, []),
        env,
        cwd: dir,
      });
      return { code, stdout, stderr };
    };
    const verbose = await run(['-v', 'coordinator', 'token', 'list', '--json']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toBe(`kura: --home ${h.path} (from $KURA_HOME)\n`);
    for (const args of [
      ['coordinator', 'token', 'list', '--json'],
      ['coordinator', 'token', 'list', '--json', '--quiet'],
    ]) {
      const quieter = await run(args);
      expect(quieter.code).toBe(0);
      expect(quieter.stderr).toBe('');
      expect(JSON.parse(quieter.stdout)).toEqual({ tokens: [] });
    }
    expect((await run(['coordinator', 'token', 'list', '--quiet'])).stdout).toBe('No tokens.\n');
  });

  it('-q silences a warning but keeps the data; without -q the warning is shown', async () => {
    const submitted = await kura([
      'request',
      'submit',
      '--home',
      h.path,
      '--destination',
      testDestination(1),
      '--amount-sat',
      '50000000',
      '--idempotency-key',
      'quiet-1',
      '--json',
    ]);
    expect(submitted.code).toBe(0);
    const id = submitted.json<{ withdrawal: { requestId: string } }>().withdrawal.requestId;
    expect((await kura(['request', 'cancel', '--home', h.path, id, '--json'])).code).toBe(0);

    const loud = await kura([
      'request',
      'show',
      '--home',
      h.path,
      id,
      '--out',
      join(dir, 'a.json'),
      '--json',
    ]);
    expect(loud.code).toBe(0);
    expect(loud.said).toMatch(/WARNING: request .* is cancelled/);
    const quiet = await kura([
      '-q',
      'request',
      'show',
      '--home',
      h.path,
      id,
      '--out',
      join(dir, 'b.json'),
      '--json',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.said).toBe('');
    expect(quiet.json<{ requestId: string; state: string }>()).toMatchObject({
      requestId: id,
      state: 'cancelled',
    });
  });

  it('-q never silences the unattended-backup warning of kura keys create', async () => {
    const pass = writeTemp(dir, 'pass.txt', `${TEST_PASSPHRASE}\n`);
    const run = await kura([
      '-q',
      'keys',
      'create',
      '--home',
      join(dir, 'unattended'),
      '--network',
      'regtest',
      '--unattended',
      '--words-out',
      join(dir, 'unattended.words'),
      '--passphrase-file',
      pass,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.said).toMatch(/^WARNING: UNATTENDED: no one checked a backup/m);
    expect(run.json<{ restored: boolean }>().restored).toBe(false);
  });

  it('-q keeps the warning about an officer key in a folder others can read', async () => {
    const folder = join(dir, 'open-folder');
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    const pass = writeTemp(dir, 'officer-pass.txt', `${TEST_PASSPHRASE}\n`);
    const run = await kura([
      '--quiet',
      'officer',
      'keys',
      'create',
      '--out',
      join(folder, 'alice.officer-key.json'),
      '--passphrase-file',
      pass,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.said).toMatch(/WARNING: .* can be read by others/);
  });

  it('-q shows the wallet review before asking to register it, and drops it with --yes', async () => {
    const home = await restoreSigner(dir, 'alice', 'regtest');
    const keys = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
      accountKeyFromMaster(masterFromSeed(mnemonicToSeed(m, ''), 'regtest'), 'regtest', 0),
    );
    const file = walletFileFor('demo', makeMultisigWallet(2, keys, 'regtest'));
    const wallet = writeTemp(dir, 'demo.wallet.json', `${JSON.stringify(file, null, 2)}\n`);

    const asked = await kura(['-q', 'signer', 'register', '--home', home, '--wallet', wallet, '--json'], {
      interactive: true,
      asks: ['register'],
    });
    expect(asked.code).toBe(0);
    const review = asked.said.indexOf('Compare every fingerprint');
    expect(review).toBeGreaterThanOrEqual(0);
    expect(asked.said.indexOf('Type "register"')).toBeGreaterThan(review);

    const again = await kura([
      '-q',
      'signer',
      'register',
      '--home',
      home,
      '--wallet',
      wallet,
      '--yes',
      '--json',
    ]);
    expect(again.code).toBe(0);
    expect(again.said).toBe('');
    expect(again.json<{ outcome: string }>().outcome).toBe('already-registered');
  });
});
