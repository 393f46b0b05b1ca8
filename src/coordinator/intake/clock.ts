// Intake is pure over a home and a time: the caller passes `now` (unix seconds), so tests and the
// server decide what time it is, never a hidden Date.now().
import { KuraError } from '../../errors.js';

export function checkNow(now: number): number {
  if (!Number.isSafeInteger(now) || now < 0) {
    throw new KuraError('INTERNAL', `"now" must be unix seconds, got ${String(now)}`, { field: 'now' });
  }
  return now;
}

/** The system clock in unix seconds: what the server and the CLI pass as `now`. */
export function systemNow(): number {
  return Math.floor(Date.now() / 1000);
}
