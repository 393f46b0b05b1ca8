// The `kura` program. Commands live one group per file; this file wires them together and maps
// every error to its documented exit code. A stack trace is never shown for a refusal.
import { Command, CommanderError } from 'commander';
import { ERROR_CODES, ExitCode, KuraError } from '../src/errors.js';
import type { Interaction } from '../src/interaction.js';
import { InvalidOption, type CliContext } from './context.js';
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

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('kura')
    .description('Bitcoin multisig custody: cold keys, policy-checked signing, proofs for auditors')
    .version(VERSION)
    .option('-q, --quiet', 'print only results and warnings')
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err })
    .showHelpAfterError(false);
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

export interface RunOptions {
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  readonly interaction?: Interaction;
}

/** Runs `kura` with `argv` (user arguments only) and returns the exit code. */
export async function runKura(args: readonly string[], options: RunOptions = {}): Promise<number> {
  const out = options.out ?? ((t: string) => void process.stdout.write(t));
  const err = options.err ?? ((t: string) => void process.stderr.write(t));
  const quiet = args.includes('-q') || args.includes('--quiet');
  const json = args.includes('--json');
  const ctx: CliContext = { out, err, interaction: options.interaction ?? terminalInteraction(quiet) };
  try {
    await buildProgram(ctx).parseAsync([...args], { from: 'user' });
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
