// kura.config.json: defaults for flags people would otherwise type on every command, grouped by
// the machine they serve. It is small and strict on purpose: an unknown setting is refused (a typo
// must not be silently ignored), and it never holds a secret — passphrases, words and keys are
// typed at a prompt or read from the files their flags name (docs/cli.md).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KuraError } from '../src/errors.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { parseListen } from '../src/coordinator/http/index.js';

export const CONFIG_FILE_NAME = 'kura.config.json';
export const CONFIG_ENV = 'KURA_CONFIG';
// A config file is a few lines; anything near this size is not one.
const MAX_CONFIG_BYTES = 64 * 1024;
const MAX_PATH_CHARS = 4096;

export interface KuraConfig {
  /** Absolute path of the file the settings came from. */
  readonly path: string;
  readonly signer: { readonly home?: string };
  readonly coordinator: { readonly home?: string; readonly listen?: string };
  readonly officer: { readonly key?: string };
}

export type ConfigGroup = 'signer' | 'coordinator' | 'officer';
type SettingKind = 'path' | 'listen';

/** Every setting there is. A path is resolved against the config file's folder. */
const SETTINGS: Record<ConfigGroup, Record<string, SettingKind>> = {
  signer: { home: 'path' },
  coordinator: { home: 'path', listen: 'listen' },
  officer: { key: 'path' },
};

/** Names that would hold a secret. Refused with a message that says where secrets go instead. */
const SECRET_NAME = /pass(word|phrase)?|mnemonic|words|seed|secret|private|prv|token/i;

export interface ConfigSources {
  /** The value of --config, if given. */
  readonly flag?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where ./kura.config.json is looked for, and relative --config and KURA_CONFIG are resolved. */
  readonly cwd: string;
}

export interface FoundConfig {
  readonly path: string;
  readonly origin: '--config' | typeof CONFIG_ENV | `./${typeof CONFIG_FILE_NAME}`;
}

/** --config FILE, else $KURA_CONFIG, else ./kura.config.json if there is one. */
export function findConfigFile(sources: ConfigSources): FoundConfig | undefined {
  if (sources.flag !== undefined) return { path: resolve(sources.cwd, sources.flag), origin: '--config' };
  const fromEnv = sources.env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv !== '')
    return { path: resolve(sources.cwd, fromEnv), origin: CONFIG_ENV };
  const here = resolve(sources.cwd, CONFIG_FILE_NAME);
  return existsSync(here) ? { path: here, origin: `./${CONFIG_FILE_NAME}` } : undefined;
}

/** Reads and checks a config file; a named file that is missing is refused (FILE_NOT_FOUND). */
export function loadKuraConfig(path: string): KuraConfig {
  return parseKuraConfig(readJsonFile(path, 'config', MAX_CONFIG_BYTES), path);
}

function refuse(path: string, field: string, why: string): KuraError {
  return new KuraError('ARGUMENT_INVALID', `${path}: "${field}" ${why}`, { field, path });
}

function checkName(path: string, field: string, known: readonly string[]): never {
  const name = field.split('.').at(-1) ?? field;
  if (SECRET_NAME.test(name)) {
    throw refuse(
      path,
      field,
      'looks like a secret, and a config file never holds one: passphrases and words are typed at a prompt or read from the file a --…-file flag names',
    );
  }
  throw refuse(path, field, `is not a setting kura knows (known: ${known.join(', ')})`);
}

function checkValue(path: string, field: string, kind: SettingKind, value: unknown, base: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_PATH_CHARS || value.includes('\0')) {
    throw refuse(path, field, `must be a non-empty string of at most ${MAX_PATH_CHARS} characters`);
  }
  if (kind === 'listen') {
    try {
      parseListen(value);
    } catch (cause) {
      throw new KuraError(
        'ARGUMENT_INVALID',
        `${path}: "${field}" must be HOST:PORT with an IP address, e.g. 127.0.0.1:8080`,
        { field, path },
        cause,
      );
    }
    return value;
  }
  return isAbsolute(value) ? value : resolve(base, value);
}

/** Checks the parsed JSON of a config file found at `path`. Pure apart from path arithmetic. */
export function parseKuraConfig(json: unknown, path: string): KuraConfig {
  const known = Object.entries(SETTINGS).flatMap(([g, s]) => Object.keys(s).map((k) => `${g}.${k}`));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw refuse(path, '(file)', 'must be a JSON object such as {"coordinator": {"home": "./coordinator"}}');
  }
  const base = dirname(resolve(path));
  const config: Record<ConfigGroup, Record<string, string>> = { signer: {}, coordinator: {}, officer: {} };
  for (const [group, settings] of Object.entries(json as Record<string, unknown>)) {
    if (!Object.hasOwn(SETTINGS, group)) checkName(path, group, known);
    const kinds = SETTINGS[group as ConfigGroup];
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw refuse(path, group, 'must be an object of settings');
    }
    for (const [name, value] of Object.entries(settings as Record<string, unknown>)) {
      const field = `${group}.${name}`;
      const kind = Object.hasOwn(kinds, name) ? kinds[name] : undefined;
      if (kind === undefined) checkName(path, field, known);
      config[group as ConfigGroup][name] = checkValue(path, field, kind, value, base);
    }
  }
  return { path: resolve(path), ...config };
}
