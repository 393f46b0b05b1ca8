// The `kura` program. Commands live one group per file; this file wires them together and maps
// every error to its documented exit code. A stack trace is never shown for a refusal.
import { Command, CommanderError, Option } from 'commander';
import { ERROR_CODES, ExitCode, KuraError } from '../src/errors.js';
import type { Interaction } from '../src/interaction.js';
import { detail, InvalidOption, type CliContext, type CliSettings } from './context.js';
import { findConfigFile, loadKuraConfig } from './config.js';
import { applyDefaults } from './defaults.js';
import { settingsInteraction, verbosityOf } from './verbosity.js';
import { registerAudit } from './audit.js';
import { registerAuditReserves, registerAuditSolvency } from './auditReserves.js';
import { registerKeys } from './keys.js';
import { registerOfficer } from './officer.js';
import { registerBatch } from './batch.js';
import { registerCoordinator } from './coordinator.js';
import { registerApproval, registerRequest } from './request.js';
import { registerPolicy } from './policy.js';
import { registerSigner } from './signer.js';
import { registerWallet } from './wallet.js';
import { terminalInteraction } from './terminal.js';

export const VERSION = '0.1.0';

/** Where the program looks for KURA_HOME, KURA_CONFIG and ./kura.config.json. */
export interface ProgramPlace {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

interface GlobalFlags {
  quiet?: boolean;
  verbose?: boolean;
  config?: string;
}

export function buildProgram(io: CliContext, place: ProgramPlace = {}): Command {
  const env = place.env ?? process.env;
  const cwd = place.cwd ?? process.cwd();
  const settings: CliSettings = { verbosity: 'normal', unfiltered: io.interaction };
  const ctx: CliContext = {
    out: io.out,
    err: io.err,
    interaction: settingsInteraction(io.interaction, settings),
    settings,
  };
  const program = new Command('kura')
    .description('Bitcoin multisig custody: cold keys, policy-checked signing, proofs for auditors')
    .version(VERSION)
    .addOption(
      new Option('-q, --quiet', 'print only the data and errors: no progress, no warnings').conflicts(
        'verbose',
      ),
    )
    .option('-v, --verbose', 'also print details: node retries, where defaults came from')
    .option('--config <file>', 'config file of defaults (default: $KURA_CONFIG, then ./kura.config.json)')
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err })
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      `
Global flags go before or after the command. Every command that prints data takes --json.
Exit codes: ${exitCodeSummary()}
(README, "Error codes and exit codes", lists every error code under its exit code). See docs/cli.md.

Example:
  KURA_HOME=./coordinator kura coordinator status --json`,
    );
  program.hook('preAction', (_program, action) => {
    const flags = program.opts<GlobalFlags>();
    settings.verbosity = verbosityOf(flags);
    const found = findConfigFile({ ...(flags.config === undefined ? {} : { flag: flags.config }), env, cwd });
    if (found !== undefined) detail(ctx, `config ${found.path} (from ${found.origin})`);
    const config = found === undefined ? undefined : loadKuraConfig(found.path);
    applyDefaults(action, { env, config, note: (text) => detail(ctx, text) });
  });
  registerKeys(program, ctx);
  registerWallet(program, ctx);
  registerSigner(program, ctx);
  registerPolicy(program, ctx);
  registerOfficer(program, ctx);
  registerCoordinator(program, ctx);
  registerBatch(program, ctx);
  registerRequest(program, ctx);
  registerApproval(program, ctx);
  const audit = registerAudit(program, ctx);
  registerAuditReserves(audit, ctx);
  registerAuditSolvency(audit, ctx);
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: ctx.out, writeErr: ctx.err });
  return program;
}

/** "0 ok, 1 internal, 2 usage, …", from the one table, so the help cannot drift from it. */
function exitCodeSummary(): string {
  return Object.entries(ExitCode)
    .map(([name, code]) => `${code} ${name}`)
    .join(', ');
}

export interface RunOptions {
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  readonly interaction?: Interaction;
  /** Defaults to process.env and process.cwd(); tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/** Runs `kura` with `argv` (user arguments only) and returns the exit code. */
export async function runKura(args: readonly string[], options: RunOptions = {}): Promise<number> {
  const out = options.out ?? ((t: string) => void process.stdout.write(t));
  const err = options.err ?? ((t: string) => void process.stderr.write(t));
  const json = args.includes('--json');
  const ctx: CliContext = { out, err, interaction: options.interaction ?? terminalInteraction() };
  const place = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  try {
    await buildProgram(ctx, place).parseAsync([...args], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return reportError(error, ctx, json);
  }
}

function reportError(error: unknown, ctx: CliContext, json: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync')
      return ExitCode.ok;
    // commander already printed its message
    if (json) ctx.out(`${JSON.stringify({ error: { code: 'ARGUMENT_INVALID', message: error.message } })}\n`);
    return ExitCode.usage;
  }
  const kuraError =
    error instanceof KuraError
      ? error
      : error instanceof InvalidOption
        ? new KuraError('ARGUMENT_INVALID', error.message)
        : new KuraError(
            'INTERNAL',
            `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
            {},
            error,
          );
  if (json) ctx.out(`${JSON.stringify({ error: kuraError.toJSON() })}\n`);
  ctx.err(`kura: ${kuraError.code}: ${kuraError.message}\n`);
  if (kuraError.code === 'INTERNAL' && process.env.KURA_DEBUG === '1') {
    ctx.err(`${error instanceof Error ? (error.stack ?? '') : ''}\n`);
  }
  return ERROR_CODES[kuraError.code].exit;
}

/** Entry point for bin/kura.js. */
export async function main(argv: readonly string[]): Promise<number> {
  return runKura(argv.slice(2));
}
