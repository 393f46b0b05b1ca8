// `kura policy …` — filled in by the policy work (issue 3).
import type { Command } from 'commander';
import type { CliContext } from './context.js';

export function registerPolicy(program: Command, _ctx: CliContext): void {
  program.command('policy').description('withdrawal policy files: check a request against a policy');
}
