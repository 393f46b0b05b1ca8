// The everyday conventions of every `kura` command (docs/cli.md), checked on the real program so
// that a command added later cannot skip them: --json where data is printed, an example in its
// --help, and --home declared through the one helper that knows KURA_HOME and the config file.
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.js';
import { ExitCode } from '../../src/errors.js';
import { kura, scripted } from '../helpers/cli.js';

/**
 * Leaf commands allowed to lack --json, each with the reason. Empty today: every command prints
 * data (even `coordinator serve` prints its URL, and has --json for it). An entry must name a
 * real command, so the list cannot outlive what it excuses.
 */
const NO_JSON: Readonly<Record<string, string>> = {};

interface Leaf {
  readonly name: string;
  readonly command: Command;
}

function leaves(command: Command, prefix: string[] = []): Leaf[] {
  const subcommands = command.commands as Command[];
  if (subcommands.length === 0) return [{ name: prefix.join(' '), command }];
  return subcommands.flatMap((c) => leaves(c, [...prefix, c.name()]));
}

function program(): Command {
  return buildProgram({ out: () => undefined, err: () => undefined, interaction: scripted({}, []) });
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (t) => void (text += t), writeErr: (t) => void (text += t) });
  command.outputHelp();
  return text;
}

const all = leaves(program());

describe('every leaf command', () => {
  it('is found by the walk (the program has its usual breadth)', () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.map((l) => l.name)).toContain('coordinator token create');
  });

  it('has --json unless the allow-list excuses it, and the allow-list names only real commands', () => {
    const names = all.map((l) => l.name);
    expect(Object.keys(NO_JSON).filter((name) => !names.includes(name))).toEqual([]);
    const missing = all
      .filter((l) => !(l.name in NO_JSON))
      .filter((l) => !(l.command.options as Option[]).some((o) => o.long === '--json'))
      .map((l) => l.name);
    expect(missing).toEqual([]);
  });

  it('shows at least one Example in its --help', () => {
    const missing = all.filter((l) => !/\bExamples?:\n {2}kura /.test(helpOf(l.command))).map((l) => l.name);
    expect(missing).toEqual([]);
  });

  it('declares --home through homeOption: optional on the command line, defaulted by KURA_HOME or the config', () => {
    const homes = all.flatMap((l) =>
      (l.command.options as Option[]).filter((o) => o.long === '--home').map((o) => ({ name: l.name, o })),
    );
    expect(homes.length).toBeGreaterThan(25);
    const wrong = homes
      .filter(({ o }) => o.mandatory || !o.description.includes('$KURA_HOME'))
      .map(({ name }) => name);
    expect(wrong).toEqual([]);
  });

  it('leaves -q, -v and --config to the program: no command redefines a global flag', () => {
    const globals = ['-q', '--quiet', '-v', '--verbose', '--config'];
    const clashes = all.flatMap((l) =>
      (l.command.options as Option[])
        .filter((o) => globals.includes(o.long ?? '') || globals.includes(o.short ?? ''))
        .map((o) => `${l.name} ${o.flags}`),
    );
    expect(clashes).toEqual([]);
  });
});

describe('kura --help', () => {
  it('names the global flags and every exit code of the one table', async () => {
    const run = await kura(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--quiet', '--verbose', '--config <file>']) expect(run.stdout).toContain(flag);
    for (const [name, code] of Object.entries(ExitCode)) expect(run.stdout).toContain(`${code} ${name}`);
    expect(run.stdout).toContain('docs/cli.md');
  });

  it('takes global flags after the command too, and refuses --quiet with --verbose as a usage error', async () => {
    const after = await kura(['wallet', 'show', '--help', '-q']);
    expect(after.code).toBe(0);
    const both = await kura(['-q', 'wallet', 'show', '--wallet', 'missing.json', '-v', '--json']);
    expect(both.code).toBe(ExitCode.usage);
    expect(both.json<{ error: { code: string } }>().error.code).toBe('ARGUMENT_INVALID');
  });
});
