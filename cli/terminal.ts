// The terminal side of an Interaction: prompts on stderr, secrets typed without echo. --quiet is
// applied on top of it (cli/verbosity.ts). Warnings are the only coloured text kura prints.
import { createInterface } from 'node:readline';
import type { Interaction } from '../src/interaction.js';

/**
 * Colour only for a person: the stream is a terminal, and NO_COLOR (https://no-color.org) is unset
 * or empty. Logs, pipes and files get plain text.
 */
export function useColour(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

/** A warning line: bold red on a colour terminal, otherwise marked with a WARNING: prefix. */
export function warningLine(text: string, colour: boolean): string {
  return colour ? `\x1b[1;31m${text}\x1b[0m\n` : `WARNING: ${text}\n`;
}

export function terminalInteraction(): Interaction {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const colour = useColour(process.stderr, process.env);
  return {
    interactive,
    say: (text) => void process.stderr.write(`${text}\n`),
    warn: (text) => void process.stderr.write(warningLine(text, colour)),
    ask: (question) => readLine(question, false),
    secret: (question) => readLine(question, true),
  };
}

function readLine(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (hidden) {
      // Replace echoed characters with nothing; the prompt itself is still shown.
      const output = rl as unknown as { _writeToOutput: (s: string) => void };
      let prompted = false;
      output._writeToOutput = (s: string) => {
        if (!prompted) {
          process.stderr.write(s);
          prompted = true;
        } else if (s.includes('\n') || s.includes('\r')) {
          process.stderr.write('\n');
        }
      };
    }
    rl.on('SIGINT', () => {
      rl.close();
      reject(new Error('interrupted'));
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}
