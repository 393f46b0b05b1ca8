// The balances an exchange owes its customers, as a CSV file:
//
//   customer_id,balance_sat
//   alice@example.com,150000000
//   42,0
//
// Strict on purpose — a liabilities proof is only as honest as its input: the header exactly as
// above; one customer per line, two fields, no quoting; ids of 1–128 characters from
// [A-Za-z0-9._@+-] starting with a letter or digit (they name the proof files, so they must be
// safe file names, and two ids that differ only in case are refused as duplicates because common
// file systems would give them one file); balances in whole sats from 0 to 21e6 BTC, the total
// too. Every refusal names its line.
import { KuraError } from '../../errors.js';
import { forEachLine } from '../lines.js';
import { MAX_LIABILITY_SAT } from './hashes.js';

export const BALANCES_HEADER = 'customer_id,balance_sat';
/** 2^24 accounts (depth 24) need about 2 GB of memory for the tree; more is a job for a sharded tree. */
export const MAX_ACCOUNTS = 2 ** 24;
export const MAX_BALANCES_FILE_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_LINE_BYTES = 1024;
const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

export interface Account {
  readonly customerId: string;
  readonly balanceSat: bigint;
}

export interface ParseProgress {
  readonly rows: number;
}

/** Customer ids: what the CSV accepts, and what a proof file must hold. */
export function isCustomerId(value: unknown): value is string {
  return typeof value === 'string' && CUSTOMER_ID.test(value);
}

function malformed(line: number, why: string): KuraError {
  return new KuraError('LIABILITIES_CSV_MALFORMED', `balances line ${line} ${why}`, { line });
}

/** A balance field: whole sats, 0 to 21e14. */
export function parseBalance(field: string, line: number): bigint {
  const invalid = (why: string) =>
    new KuraError('LIABILITIES_BALANCE_INVALID', `balances line ${line}: "balance_sat" ${why}`, {
      line,
      field: 'balance_sat',
    });
  if (field === '') throw invalid('is blank');
  if (/^-\s*[0-9.]/.test(field)) {
    throw new KuraError(
      'LIABILITIES_NEGATIVE_AMOUNT',
      `balances line ${line}: "balance_sat" is negative (${field}); a negative balance would hide liabilities`,
      { line, field: 'balance_sat' },
    );
  }
  if (/^[0-9]*[.,][0-9]*$|^[0-9.]+[eE][-+]?[0-9]+$/.test(field))
    throw invalid(`is not whole sats (${field}): write integers of sats, no decimals or exponents`);
  if (!/^[0-9]{1,30}$/.test(field)) throw invalid('is not a whole number of sats');
  const value = BigInt(field);
  if (value > MAX_LIABILITY_SAT) {
    throw new KuraError(
      'LIABILITIES_AMOUNT_TOO_LARGE',
      `balances line ${line}: "balance_sat" ${field} is above ${MAX_LIABILITY_SAT} sats (21e6 BTC)`,
      { line, field: 'balance_sat' },
    );
  }
  return value;
}

/** Takes the CSV line by line (1-based line numbers) and keeps every check in one place. */
export class BalancesParser {
  readonly accounts: Account[] = [];
  private readonly seen = new Map<string, number>();
  private totalSat = 0n;
  private lastLine = 0;

  constructor(
    private readonly onProgress?: (progress: ParseProgress) => void,
    private readonly progressEvery = 100_000,
  ) {}

  line(text: string, line: number): void {
    this.lastLine = line;
    if (line === 1) {
      const header = text.startsWith('\uFEFF') ? text.slice(1) : text;
      if (header !== BALANCES_HEADER) throw malformed(1, `must be the header "${BALANCES_HEADER}"`);
      return;
    }
    if (text.trim() === '') throw malformed(line, 'is blank');
    if (text.includes('"')) throw malformed(line, 'has quotes; customer ids never need them');
    const fields = text.split(',');
    if (fields.length !== 2) throw malformed(line, `has ${fields.length} fields, expected 2`);
    const [customerId = '', balance = ''] = fields;
    if (!isCustomerId(customerId)) {
      throw malformed(
        line,
        '"customer_id" must be 1–128 characters of A-Z a-z 0-9 . _ @ + - starting with a letter or digit',
      );
    }
    const balanceSat = parseBalance(balance, line);
    const key = customerId.toLowerCase();
    const first = this.seen.get(key);
    if (first !== undefined) {
      throw new KuraError(
        'LIABILITIES_DUPLICATE_ID',
        `balances line ${line}: customer "${customerId}" already appears on line ${first} (ids are compared ignoring case)`,
        { line, firstLine: first, field: 'customer_id' },
      );
    }
    if (this.accounts.length >= MAX_ACCOUNTS)
      throw malformed(line, `is beyond the ${MAX_ACCOUNTS} accounts one tree holds`);
    this.totalSat += balanceSat;
    if (this.totalSat > MAX_LIABILITY_SAT) {
      throw new KuraError(
        'LIABILITIES_AMOUNT_TOO_LARGE',
        `balances line ${line}: the total passes ${MAX_LIABILITY_SAT} sats (21e6 BTC)`,
        { line, field: 'balance_sat' },
      );
    }
    this.seen.set(key, line);
    this.accounts.push({ customerId, balanceSat });
    if (this.onProgress !== undefined && this.accounts.length % this.progressEvery === 0)
      this.onProgress({ rows: this.accounts.length });
  }

  finish(): Account[] {
    if (this.lastLine === 0) throw malformed(1, `is missing: expected the header "${BALANCES_HEADER}"`);
    if (this.accounts.length === 0) throw malformed(2, 'is missing: the file has no customers');
    return this.accounts;
  }
}

/** Parses CSV text (tests, small inputs). */
export function parseBalancesCsv(text: string): Account[] {
  const parser = new BalancesParser();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => parser.line(line.endsWith('\r') ? line.slice(0, -1) : line, i + 1));
  return parser.finish();
}

/** Reads and parses a balances file line by line; `onProgress` every `progressEvery` rows. */
export function readBalancesCsv(
  path: string,
  options: { onProgress?: (progress: ParseProgress) => void; progressEvery?: number } = {},
): Account[] {
  const parser = new BalancesParser(options.onProgress, options.progressEvery);
  forEachLine(
    path,
    {
      field: 'balances',
      maxBytes: MAX_BALANCES_FILE_BYTES,
      maxLineBytes: MAX_LINE_BYTES,
      malformedCode: 'LIABILITIES_CSV_MALFORMED',
    },
    (text, line) => parser.line(text, line),
  );
  return parser.finish();
}
