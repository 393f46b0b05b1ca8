// How ceremonies talk to the person running them. The CLI gives a terminal; tests give a script.
// Secrets are only ever read through `secret` (no echo) or from files, never from argv or env.
export interface Interaction {
  /** Whether a person can answer (a terminal on stdin and stdout). */
  readonly interactive: boolean;
  /** Information for the operator: goes to stderr so `--json` output on stdout stays clean. */
  say(text: string): void;
  /** A loud warning, shown even in quiet mode. */
  warn(text: string): void;
  /** Asks for a line of text. */
  ask(question: string): Promise<string>;
  /** Asks for a secret without echoing it. */
  secret(question: string): Promise<string>;
}
