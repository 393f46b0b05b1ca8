// KURA_HOME and kura.config.json (docs/cli.md): a flag beats the environment, which beats the
// config file, which beats the option's default; a missing home is INPUT_REQUIRED naming the
// field; the config is strict and never holds secrets; a home of the other kind is refused.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConfigFile, parseKuraConfig, type KuraConfig } from '../../cli/config.js';
import { applyDefaults, homeOption, listenOption, officerKeyOption } from '../../cli/defaults.js';
import { runKura } from '../../cli/main.js';
import { isKuraError, type ErrorCode } from '../../src/errors.js';
import { errorCode, scripted, tempDir, writeTemp, type KuraRun } from '../helpers/cli.js';
import { makeIntakeHome, type IntakeHome } from '../coordinator/intake-fixture.js';

type Env = Record<string, string | undefined>;

/** Runs kura with its own environment and working folder, as a shell would give them. */
async function kuraIn(args: string[], env: Env, cwd: string): Promise<KuraRun> {
  let stdout = '';
  let stderr = '';
  const said: string[] = [];
  const code = await runKura(args, {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    interaction: scripted({ interactive: false }, said),
    env,
    cwd,
  });
  return { code, stdout, stderr, said: said.join('\n'), json: <T>() => JSON.parse(stdout) as T };
}

/** One command with the declared options, parsed as commander does, then given its defaults. */
async function resolve(args: string[], env: Env, config?: KuraConfig): Promise<Record<string, unknown>> {
  const notes: string[] = [];
  const command = new Command('probe')
    .exitOverride()
    .addOption(homeOption('coordinator'))
    .addOption(listenOption('address', '127.0.0.1:8080'))
    .action(() => undefined);
  command.hook('preAction', (_c, action) =>
    applyDefaults(action, { env, config, note: (t) => notes.push(t) }),
  );
  await command.parseAsync(args, { from: 'user' });
  return { ...command.opts(), notes };
}

async function rejectionOf(promise: Promise<unknown>): Promise<{ code?: string; field?: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (isKuraError(error)) return { code: error.code, field: error.details.field };
    throw error;
  }
  return {};
}

const CONFIG_PATH = '/etc/kura/kura.config.json';
const config = (json: unknown): KuraConfig => parseKuraConfig(json, CONFIG_PATH);

describe('applyDefaults: flag > KURA_HOME > config > default', () => {
  const fromConfig = config({ coordinator: { home: '/srv/from-config', listen: '127.0.0.1:9090' } });

  it.each([
    {
      what: 'the flag beats everything',
      args: ['--home', '/typed'],
      env: { KURA_HOME: '/env' },
      cfg: fromConfig,
      home: '/typed',
    },
    {
      what: 'KURA_HOME beats the config',
      args: [],
      env: { KURA_HOME: '/env' },
      cfg: fromConfig,
      home: '/env',
    },
    { what: 'the config when nothing else', args: [], env: {}, cfg: fromConfig, home: '/srv/from-config' },
    {
      what: 'an empty KURA_HOME counts as unset',
      args: [],
      env: { KURA_HOME: '' },
      cfg: fromConfig,
      home: '/srv/from-config',
    },
  ])('$what', async ({ args, env, cfg, home }) => {
    expect((await resolve(args, env, cfg)).home).toBe(home);
  });

  it('names where a default came from (what --verbose prints)', async () => {
    const { notes } = await resolve([], { KURA_HOME: '/env' }, fromConfig);
    expect(notes).toEqual([
      '--home /env (from $KURA_HOME)',
      `--listen 127.0.0.1:9090 (from coordinator.listen of ${CONFIG_PATH})`,
    ]);
    expect((await resolve(['--home', '/typed'], {}, undefined)).notes).toEqual([
      '--listen 127.0.0.1:8080 (from its default)',
    ]);
  });

  it('lets the config replace an option default, and a typed flag replace both', async () => {
    expect((await resolve(['--home', '/h'], {}, undefined)).listen).toBe('127.0.0.1:8080');
    expect((await resolve(['--home', '/h'], {}, fromConfig)).listen).toBe('127.0.0.1:9090');
    expect((await resolve(['--home', '/h', '--listen', '[::1]:1'], {}, fromConfig)).listen).toBe('[::1]:1');
  });

  it('refuses a missing home with INPUT_REQUIRED naming the field', async () => {
    expect(await rejectionOf(resolve([], {}, undefined))).toEqual({ code: 'INPUT_REQUIRED', field: 'home' });
    expect(await rejectionOf(resolve([], { KURA_HOME: '' }, config({ signer: { home: '/s' } })))).toEqual({
      code: 'INPUT_REQUIRED',
      field: 'home',
    });
  });

  it('takes the officer key from officer.key only (there is no environment variable for it)', async () => {
    const command = new Command('probe')
      .exitOverride()
      .addOption(officerKeyOption())
      .action(() => undefined);
    let cfg: KuraConfig | undefined = config({ officer: { key: 'keys/alice.json' } });
    command.hook('preAction', (_c, a) =>
      applyDefaults(a, { env: { KURA_HOME: '/env' }, config: cfg, note: () => undefined }),
    );
    await command.parseAsync([], { from: 'user' });
    expect(command.opts().key).toBe('/etc/kura/keys/alice.json');
    cfg = undefined;
    const again = new Command('probe')
      .exitOverride()
      .addOption(officerKeyOption())
      .action(() => undefined);
    again.hook('preAction', (_c, a) => applyDefaults(a, { env: {}, config: cfg, note: () => undefined }));
    expect(await rejectionOf(again.parseAsync([], { from: 'user' }))).toEqual({
      code: 'INPUT_REQUIRED',
      field: 'key',
    });
  });
});

describe('kura.config.json', () => {
  it('keeps absolute paths, resolves relative ones against its own folder, and checks listen', () => {
    const parsed = config({
      signer: { home: '/media/signer-a' },
      coordinator: { home: './coordinator', listen: '127.0.0.1:8080' },
      officer: { key: '../alice.officer-key.json' },
    });
    expect(parsed).toEqual({
      path: CONFIG_PATH,
      signer: { home: '/media/signer-a' },
      coordinator: { home: '/etc/kura/coordinator', listen: '127.0.0.1:8080' },
      officer: { key: '/etc/alice.officer-key.json' },
    });
    expect(config({})).toEqual({ path: CONFIG_PATH, signer: {}, coordinator: {}, officer: {} });
  });

  const invalid: { description: string; input: unknown; code: ErrorCode; field: string }[] = [
    { description: 'an array', input: [], code: 'ARGUMENT_INVALID', field: '(file)' },
    { description: 'null', input: null, code: 'ARGUMENT_INVALID', field: '(file)' },
    { description: 'an unknown group', input: { auditor: {} }, code: 'ARGUMENT_INVALID', field: 'auditor' },
    {
      description: 'a typo in a setting',
      input: { signer: { hom: '/s' } },
      code: 'ARGUMENT_INVALID',
      field: 'signer.hom',
    },
    {
      description: 'a group that is not an object',
      input: { signer: '/s' },
      code: 'ARGUMENT_INVALID',
      field: 'signer',
    },
    {
      description: 'a number for a path',
      input: { coordinator: { home: 7 } },
      code: 'ARGUMENT_INVALID',
      field: 'coordinator.home',
    },
    {
      description: 'an empty path',
      input: { officer: { key: '' } },
      code: 'ARGUMENT_INVALID',
      field: 'officer.key',
    },
    {
      description: 'a host name to listen on',
      input: { coordinator: { listen: 'example.com:80' } },
      code: 'ARGUMENT_INVALID',
      field: 'coordinator.listen',
    },
    {
      description: 'a passphrase',
      input: { signer: { passphrase: 'hunter2' } },
      code: 'ARGUMENT_INVALID',
      field: 'signer.passphrase',
    },
    {
      description: 'a password',
      input: { coordinator: { rpcPassword: 'x' } },
      code: 'ARGUMENT_INVALID',
      field: 'coordinator.rpcPassword',
    },
    {
      description: 'the words',
      input: { signer: { words: 'abandon …' } },
      code: 'ARGUMENT_INVALID',
      field: 'signer.words',
    },
    { description: 'a mnemonic group', input: { mnemonic: {} }, code: 'ARGUMENT_INVALID', field: 'mnemonic' },
    {
      description: 'a private key',
      input: { officer: { privateKey: 'ab' } },
      code: 'ARGUMENT_INVALID',
      field: 'officer.privateKey',
    },
    {
      description: 'an API token',
      input: { coordinator: { token: 'kura_…' } },
      code: 'ARGUMENT_INVALID',
      field: 'coordinator.token',
    },
  ];

  it.each(invalid)('refuses $description, naming the field', ({ input, code, field }) => {
    let caught: unknown;
    try {
      config(input);
    } catch (error) {
      caught = error;
    }
    expect(isKuraError(caught, code)).toBe(true);
    expect(isKuraError(caught) && caught.details).toMatchObject({ field, path: CONFIG_PATH });
    expect(isKuraError(caught) && caught.message).toContain(`"${field}"`);
  });

  it('says that a secret-looking setting is refused because secrets never go in the file', () => {
    let message = '';
    try {
      config({ signer: { passphrase: 'hunter2' } });
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    expect(message).toMatch(/never holds one/);
    expect(message).not.toContain('hunter2');
  });

  it('is found through --config, then KURA_CONFIG, then ./kura.config.json', () => {
    const dir = tempDir('kura-config-find-');
    expect(findConfigFile({ env: {}, cwd: dir })).toBeUndefined();
    writeTemp(dir, 'kura.config.json', '{}');
    expect(findConfigFile({ env: {}, cwd: dir })).toEqual({
      path: join(dir, 'kura.config.json'),
      origin: './kura.config.json',
    });
    expect(findConfigFile({ env: { KURA_CONFIG: 'other.json' }, cwd: dir })).toEqual({
      path: join(dir, 'other.json'),
      origin: 'KURA_CONFIG',
    });
    expect(findConfigFile({ flag: '/x/k.json', env: { KURA_CONFIG: 'other.json' }, cwd: dir })).toEqual({
      path: '/x/k.json',
      origin: '--config',
    });
    expect(findConfigFile({ env: { KURA_CONFIG: '' }, cwd: dir })?.origin).toBe('./kura.config.json');
  });
});

describe('the real program with KURA_HOME and a config file', () => {
  let h: IntakeHome;
  let dir: string;
  let elsewhere: string;
  const tokenList = ['coordinator', 'token', 'list', '--json'];

  beforeAll(() => {
    h = makeIntakeHome({}, null);
    dir = tempDir('kura-defaults-');
    elsewhere = tempDir('kura-defaults-cwd-');
  });
  afterAll(() => h.close());

  it('runs a coordinator command on KURA_HOME, on ./kura.config.json, and refuses without either', async () => {
    const viaEnv = await kuraIn(tokenList, { KURA_HOME: h.path }, elsewhere);
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.json()).toEqual({ tokens: [] });

    const none = await kuraIn(tokenList, {}, elsewhere);
    expect(none.code).toBe(2);
    expect(none.json<{ error: { code: string; details: unknown } }>().error).toMatchObject({
      code: 'INPUT_REQUIRED',
      details: { field: 'home' },
    });

    const folder = join(dir, 'with-config');
    mkdirSync(folder);
    writeTemp(folder, 'kura.config.json', JSON.stringify({ coordinator: { home: h.path } }));
    const viaConfig = await kuraIn(tokenList, {}, folder);
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.json()).toEqual({ tokens: [] });
  });

  it('lets the flag beat KURA_HOME, and KURA_HOME beat the config', async () => {
    const missing = join(dir, 'not-a-home');
    const cfg = writeTemp(dir, 'bad-home.json', JSON.stringify({ coordinator: { home: missing } }));
    const flagWins = await kuraIn(
      [...tokenList, '--home', h.path],
      { KURA_HOME: missing, KURA_CONFIG: cfg },
      elsewhere,
    );
    expect(flagWins.code).toBe(0);
    const envWins = await kuraIn(tokenList, { KURA_HOME: h.path, KURA_CONFIG: cfg }, elsewhere);
    expect(envWins.code).toBe(0);
    const configUsed = await kuraIn(tokenList, { KURA_CONFIG: cfg }, elsewhere);
    expect(errorCode(configUsed)).toBe('COORDINATOR_NOT_INITIALIZED');
    expect(configUsed.stdout).toContain(missing);
  });

  it('prefers --config to KURA_CONFIG, and refuses a named config file that is missing', async () => {
    const good = writeTemp(dir, 'good.json', JSON.stringify({ coordinator: { home: h.path } }));
    const bad = writeTemp(
      dir,
      'secret.json',
      JSON.stringify({ coordinator: { home: h.path, password: 'x' } }),
    );
    expect((await kuraIn([...tokenList, '--config', good], { KURA_CONFIG: bad }, elsewhere)).code).toBe(0);
    const refused = await kuraIn(tokenList, { KURA_CONFIG: bad }, elsewhere);
    expect(refused.code).toBe(2);
    expect(refused.json<{ error: { code: string; details: unknown } }>().error).toMatchObject({
      code: 'ARGUMENT_INVALID',
      details: { field: 'coordinator.password' },
    });
    const missing = await kuraIn([...tokenList, '--config', join(dir, 'nope.json')], {}, elsewhere);
    expect(errorCode(missing)).toBe('FILE_NOT_FOUND');
  });

  it('resolves officer.key against the config folder', async () => {
    const folder = join(dir, 'officer');
    mkdirSync(folder);
    writeTemp(folder, 'kura.config.json', JSON.stringify({ officer: { key: 'alice.officer-key.json' } }));
    const run = await kuraIn(['officer', 'keys', 'show', '--json'], {}, folder);
    expect(errorCode(run)).toBe('FILE_NOT_FOUND');
    expect(run.json<{ error: { details: { path: string } } }>().error.details.path).toBe(
      join(folder, 'alice.officer-key.json'),
    );
  });

  it('refuses a coordinator home for a signer command, before anything is written', async () => {
    const pass = writeTemp(dir, 'pass.txt', 'correct horse battery staple\n');
    const create = await kuraIn(
      [
        'keys',
        'create',
        '--network',
        'regtest',
        '--unattended',
        '--words-out',
        join(dir, 'w.txt'),
        '--passphrase-file',
        pass,
        '--json',
      ],
      { KURA_HOME: h.path },
      elsewhere,
    );
    expect(create.code).toBe(2);
    expect(create.json<{ error: { code: string; details: unknown } }>().error).toMatchObject({
      code: 'ARGUMENT_INVALID',
      details: { field: 'home' },
    });
    expect(existsSync(join(h.path, 'keystore.json'))).toBe(false);
    expect(existsSync(join(dir, 'w.txt'))).toBe(false);
    const show = await kuraIn(['keys', 'show', '--home', h.path, '--json'], {}, elsewhere);
    expect(errorCode(show)).toBe('ARGUMENT_INVALID');
  });

  it('refuses a signer home for a coordinator command', async () => {
    const signerHome = join(dir, 'signer-a');
    mkdirSync(signerHome);
    writeFileSync(join(signerHome, 'keystore.json'), '{}');
    const run = await kuraIn(['coordinator', 'status', '--json'], { KURA_HOME: signerHome }, elsewhere);
    expect(run.code).toBe(2);
    expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: expect.stringContaining('is a signer home') as unknown,
    });
  });
});
