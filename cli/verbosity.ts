// --quiet and --verbose: global flags read before any command's action runs, and the interaction
// every command then uses. --quiet silences information and warnings, but never what a person is
// asked to confirm: lines said before a prompt are shown with the prompt.
import type { Interaction } from '../src/interaction.js';
import type { CliSettings, Verbosity } from './context.js';

export interface VerbosityFlags {
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

export function verbosityOf(flags: VerbosityFlags): Verbosity {
  if (flags.quiet === true) return 'quiet';
  return flags.verbose === true ? 'verbose' : 'normal';
}

/**
 * `base` as the settings allow it to speak. With --quiet, `say` lines are held back and dropped,
 * unless a question follows: an officer who runs `kura -q officer approve` still reads the request
 * before typing "approve", and `kura -q keys create` still shows the words it then quizzes.
 */
export function settingsInteraction(base: Interaction, settings: CliSettings): Interaction {
  let held: string[] = [];
  const quiet = () => settings.verbosity === 'quiet';
  const release = () => {
    for (const line of held) base.say(line);
    held = [];
  };
  return {
    get interactive() {
      return base.interactive;
    },
    say: (text) => {
      if (quiet()) held.push(text);
      else base.say(text);
    },
    warn: (text) => {
      if (!quiet()) base.warn(text);
    },
    ask: (question) => {
      release();
      return base.ask(question);
    },
    secret: (question) => {
      release();
      return base.secret(question);
    },
  };
}
