// The address book: for each branch (receive 0, change 1), the highest index seen used on chain
// and the highest index handed out. Every index up to max(used, issued) + gapLimit is watched, so
// a wallet restored from its descriptor finds its coins as long as no run of gapLimit unused
// addresses separates them (BIP-44's account discovery rule). Plain data, so the store can keep it.
import { KuraError } from '../../errors.js';
import { CHANGE, RECEIVE, type Branch } from '../../bitcoin/descriptor.js';
import { HARDENED } from '../../bitcoin/keyExpression.js';

/** BIP-44's gap limit, and what Electrum, Sparrow and BDK use by default. */
export const DEFAULT_GAP_LIMIT = 20;
// Every watched index costs one derivation per cosigner and a map entry; beyond this it is a typo.
export const MAX_GAP_LIMIT = 10_000;

export interface BranchBook {
  /** The highest index paid by a scanned block (or transaction), -1 for none. */
  readonly lastUsed: number;
  /** The highest index handed out (a deposit address shown, a change output built), -1 for none. */
  readonly lastIssued: number;
}

export interface AddressBook {
  readonly gapLimit: number;
  readonly receive: BranchBook;
  readonly change: BranchBook;
}

const EMPTY: BranchBook = { lastUsed: -1, lastIssued: -1 };

function checkGapLimit(gapLimit: number): number {
  if (!Number.isSafeInteger(gapLimit) || gapLimit < 1 || gapLimit > MAX_GAP_LIMIT) {
    throw new KuraError('ARGUMENT_INVALID', `"gapLimit" must be an integer from 1 to ${MAX_GAP_LIMIT}`, {
      field: 'gapLimit',
    });
  }
  return gapLimit;
}

export function newAddressBook(gapLimit = DEFAULT_GAP_LIMIT): AddressBook {
  return { gapLimit: checkGapLimit(gapLimit), receive: EMPTY, change: EMPTY };
}

export function branchBook(book: AddressBook, branch: Branch): BranchBook {
  return branch === RECEIVE ? book.receive : book.change;
}

function withBranch(book: AddressBook, branch: Branch, state: BranchBook): AddressBook {
  return branch === RECEIVE ? { ...book, receive: state } : { ...book, change: state };
}

/** The highest watched index of `branch`: max(lastUsed, lastIssued) + gapLimit. */
export function watchedUpTo(book: AddressBook, branch: Branch): number {
  const b = branchBook(book, branch);
  return Math.min(Math.max(b.lastUsed, b.lastIssued) + book.gapLimit, HARDENED - 1);
}

/** The next index never used nor handed out: where a new deposit or change address comes from. */
export function nextUnusedIndex(book: AddressBook, branch: Branch): number {
  const b = branchBook(book, branch);
  return Math.max(b.lastUsed, b.lastIssued) + 1;
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= HARDENED) {
    throw new KuraError('ARGUMENT_INVALID', `"index" must be an integer from 0 to ${HARDENED - 1}`, {
      field: 'index',
    });
  }
}

/** Records that `index` was seen paid on chain (never lowers the mark). */
export function markUsed(book: AddressBook, branch: Branch, index: number): AddressBook {
  checkIndex(index);
  const b = branchBook(book, branch);
  return index <= b.lastUsed ? book : withBranch(book, branch, { ...b, lastUsed: index });
}

/** Records that `index` was handed out, so it is watched whatever gap lies before it. */
export function markIssued(book: AddressBook, branch: Branch, index: number): AddressBook {
  checkIndex(index);
  const b = branchBook(book, branch);
  return index <= b.lastIssued ? book : withBranch(book, branch, { ...b, lastIssued: index });
}

function parseBranch(value: unknown, field: string): BranchBook {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const mark = (key: 'lastUsed' | 'lastIssued') => {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < -1 || n >= HARDENED) {
      throw new KuraError(
        'ARGUMENT_INVALID',
        `"${field}.${key}" must be an integer from -1 to ${HARDENED - 1}`,
        {
          field: `${field}.${key}`,
        },
      );
    }
    return n;
  };
  return { lastUsed: mark('lastUsed'), lastIssued: mark('lastIssued') };
}

/** Validates an address book read from outside (a database row, a JSON file). */
export function parseAddressBook(value: unknown): AddressBook {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KuraError('ARGUMENT_INVALID', '"addressBook" must be an object', { field: 'addressBook' });
  }
  const v = value as Record<string, unknown>;
  const gapLimit = v.gapLimit;
  if (typeof gapLimit !== 'number') {
    throw new KuraError('ARGUMENT_INVALID', '"gapLimit" must be an integer', { field: 'gapLimit' });
  }
  return {
    gapLimit: checkGapLimit(gapLimit),
    receive: parseBranch(v.receive, 'receive'),
    change: parseBranch(v.change, 'change'),
  };
}

export const BRANCHES: readonly Branch[] = [RECEIVE, CHANGE];
