// Where a flag's value comes from when it is not typed: the flag itself, then the environment
// (KURA_HOME, for --home only; a path, never a secret), then kura.config.json. Commands declare
// such flags with the helpers below; one preAction hook (applyDefaults) fills them in before the
// command runs, so no command reads the environment or the config file itself.
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { KuraError } from '../src/errors.js';
import { homePaths } from '../src/coordinator/home.js';
import { signerPaths } from '../src/signer/home.js';
import { CONFIG_FILE_NAME, type ConfigGroup, type KuraConfig } from './config.js';

export const HOME_ENV = 'KURA_HOME';

/** Signer homes (air-gapped, hold a key) and coordinator homes (online, hold a database). */
export type HomeKind = 'signer' | 'coordinator';

interface Fallback {
  readonly group: ConfigGroup;
  readonly setting: 'home' | 'listen' | 'key';
  readonly env?: typeof HOME_ENV;
  /** When nothing supplies a value: refuse (INPUT_REQUIRED), or let the option's default stand. */
  readonly required: boolean;
  readonly homeKind?: HomeKind;
}

const fallbacks = new WeakMap<Option, Fallback>();

function declare(option: Option, fallback: Fallback): Option {
  fallbacks.set(option, fallback);
  return option;
}

/** `--home <dir>` of a signer or coordinator command; falls back to KURA_HOME, then the config. */
export function homeOption(kind: HomeKind, description = `${kind} home folder`): Option {
  return declare(
    new Option(
      '--home <dir>',
      `${description} (default: $${HOME_ENV}, then ${kind}.home of ${CONFIG_FILE_NAME})`,
    ),
    { group: kind, setting: 'home', env: HOME_ENV, required: true, homeKind: kind },
  );
}

/** `--listen <host:port>` of kura coordinator serve; the config's coordinator.listen replaces the default. */
export function listenOption(description: string, defaultValue: string): Option {
  return declare(
    new Option('--listen <host:port>', description).default(
      defaultValue,
      `coordinator.listen of ${CONFIG_FILE_NAME}, else ${defaultValue}`,
    ),
    { group: 'coordinator', setting: 'listen', required: false },
  );
}

/** `--key <file>`: an officer's key file; falls back to officer.key of the config. */
export function officerKeyOption(description = 'officer key file'): Option {
  return declare(new Option('--key <file>', `${description} (default: officer.key of ${CONFIG_FILE_NAME})`), {
    group: 'officer',
    setting: 'key',
    required: true,
  });
}

export interface DefaultSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: KuraConfig | undefined;
  /** Says where a value came from (shown with --verbose). */
  readonly note: (text: string) => void;
}

function configValue(config: KuraConfig | undefined, fallback: Fallback): string | undefined {
  if (config === undefined) return undefined;
  const group: Readonly<Record<string, string | undefined>> = config[fallback.group];
  return group[fallback.setting];
}

/**
 * Fills in the declared options of `command` that were not typed: flag > environment > config >
 * the option's default. Refuses a missing required value with INPUT_REQUIRED naming the field,
 * and a home of the wrong kind with ARGUMENT_INVALID.
 */
export function applyDefaults(command: Command, sources: DefaultSources): void {
  for (const option of command.options) {
    const fallback = fallbacks.get(option);
    if (fallback === undefined) continue;
    const name = option.attributeName();
    const flag = option.long ?? `--${name}`;
    let from = flag;
    if (command.getOptionValueSource(name) !== 'cli') {
      const fromEnv = fallback.env === undefined ? undefined : sources.env[fallback.env];
      const fromConfig = configValue(sources.config, fallback);
      if (fromEnv !== undefined && fromEnv !== '' && fallback.env !== undefined) {
        command.setOptionValueWithSource(name, fromEnv, 'env');
        from = `$${fallback.env}`;
      } else if (fromConfig !== undefined && sources.config !== undefined) {
        command.setOptionValueWithSource(name, fromConfig, 'config');
        from = `${fallback.group}.${fallback.setting} of ${sources.config.path}`;
      } else {
        from = 'its default';
      }
    }
    const value: unknown = command.getOptionValue(name);
    if (typeof value !== 'string') {
      if (!fallback.required) continue;
      throw new KuraError(
        'INPUT_REQUIRED',
        `${flag} is needed: pass ${flag} ${option.flags.split(' ').at(-1) ?? ''}` +
          (fallback.env === undefined ? '' : `, set $${fallback.env},`) +
          ` or set ${fallback.group}.${fallback.setting} in ${CONFIG_FILE_NAME}`,
        { field: name },
      );
    }
    if (fallback.homeKind !== undefined) checkHomeKind(value, fallback.homeKind, from);
    if (from !== flag) sources.note(`${flag} ${value} (from ${from})`);
  }
}

/**
 * A signer home and a coordinator home are different folders on different machines. Creating a
 * key inside a coordinator home (or a database beside a key) because KURA_HOME pointed at the
 * other kind would put a cold key online, so either mistake is refused before anything runs.
 */
function checkHomeKind(home: string, kind: HomeKind, from: string): void {
  const otherKind =
    kind === 'signer'
      ? existsSync(homePaths(home).database) && 'a coordinator home (it holds kura.sqlite)'
      : existsSync(signerPaths(home).keystore) && 'a signer home (it holds keystore.json)';
  if (otherKind !== false) {
    throw new KuraError(
      'ARGUMENT_INVALID',
      `"home": ${home} (from ${from}) is ${otherKind}, not a ${kind} home`,
      {
        field: 'home',
        path: home,
      },
    );
  }
}
