// The terminal side of an Interaction: prompts on stderr, secrets typed without echo.
import { createInterface } from 'node:readline';
import type { Interaction } from '../src/interaction.js';

export function terminalInteraction(quiet: boolean): Interaction {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const colour = Boolean(process.stderr.isTTY) && process.env.NO_COLOR === undefined;
  return {
    interactive,
    say: (text) => {
      if (!quiet) process.stderr.write(`${text}\n`);
    },
    warn: (text) => process.stderr.write(colour ? `\x1b[1;31m${text}\x1b[0m\n` : `WARNING: ${text}\n`),
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
