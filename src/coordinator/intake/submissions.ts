// Group commit for withdrawals arriving over the API. Each submission is durable before it is
// answered, but a commit with synchronous=FULL waits for the disk (0.1 ms on a fast one, a few ms
// on a busy one), and better-sqlite3 holds the whole process while it waits. So submissions that
// arrive while the event loop is busy are stored together: one transaction, one fsync, each
// submission in its own savepoint with its own audit entry, and every answer sent only after the
// commit. A submission refused or failing inside the group rolls back alone; the others are
// stored. If the commit itself fails, nothing of the group is stored and every caller gets the
// error: no caller is ever told "created" for a request that is not on disk.
//
// Nothing changes for the caller: the same checks, in the same order, against the requests stored
// before it (those of its own group included), so two submissions in one group cannot both fit
// under a limit only one of them fits under. docs/intake.md, "Group commit".
import { KuraError } from '../../errors.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import { confirmToken, type Authenticated } from '../tokens.js';
import { storeWithdrawal, type SubmitInput, type SubmitResult } from './submit.js';

/**
 * At most this many submissions share a commit: a bound on how long one group holds the event
 * loop (about 0.2 ms of work each), so other calls are not kept waiting behind a huge group.
 */
export const MAX_GROUP_SIZE = 128;

interface Waiting {
  readonly input: SubmitInput;
  readonly now: number;
  readonly token: Authenticated | null;
  resolve(result: SubmitResult): void;
  reject(error: unknown): void;
}

type Outcome = { readonly ok: SubmitResult } | { readonly error: unknown };

export class WithdrawalSubmissions {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly home: CoordinatorHome) {}

  /**
   * Stores the submission with the others that arrived in this turn of the event loop. `token`,
   * the API caller's, is confirmed inside the group's transaction first (tokens.ts,
   * confirmToken): a token revoked by then stores nothing.
   */
  submit(input: SubmitInput, now: number, token: Authenticated | null = null): Promise<SubmitResult> {
    return new Promise<SubmitResult>((resolve, reject) => {
      this.waiting.push({ input, now, token, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the I/O callbacks of this turn: every request whose bytes arrived
    // together (or while the previous group was committing) joins the same group.
    setImmediate(() => {
      this.scheduled = false;
      this.commitGroup();
    });
  }

  private commitGroup(): void {
    const group = this.waiting.splice(0, MAX_GROUP_SIZE);
    if (this.waiting.length > 0) this.schedule();
    if (group.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.home.store.atomically(() => group.map((w) => this.storeOne(w)));
    } catch (error) {
      for (const w of group) w.reject(error);
      return;
    }
    if (outcomes.some((o) => 'ok' in o && o.ok.created)) faultPoint('request-stored');
    group.forEach((w, i) => {
      const outcome = outcomes[i] as Outcome;
      if ('ok' in outcome) w.resolve(outcome.ok);
      else w.reject(outcome.error);
    });
  }

  /** One submission in its own savepoint (storeWithdrawal's transaction, nested in the group's). */
  private storeOne(w: Waiting): Outcome {
    try {
      if (w.token !== null) confirmToken(this.home.store, w.token);
      return { ok: storeWithdrawal(this.home, w.input, w.now) };
    } catch (error) {
      // SQLite rolls the whole transaction back by itself on some errors (disk full, I/O): then
      // the group cannot go on, and failing it makes every caller retry (idempotently).
      if (!this.home.store.inTransaction) {
        throw new KuraError(
          'STORE_FAILED',
          'the store ended the transaction of a group of submissions',
          {
            field: 'store',
          },
          error,
        );
      }
      return { error };
    }
  }
}
