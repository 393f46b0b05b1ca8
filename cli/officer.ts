// `kura officer …` — filled in by the approvals work (issue 3).
import type { Command } from 'commander';
import type { CliContext } from './context.js';

export function registerOfficer(program: Command, _ctx: CliContext): void {
  program.command('officer').description("officers' approval keys and signed approvals");
}
