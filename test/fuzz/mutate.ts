// Shared pieces of the fuzz tests (faults issue, part 5): mutations of valid bytes and of valid
// JSON documents, and the one rule every parser a user or an attacker can reach must keep — it
// returns, or it throws a KuraError with a documented code that is not INTERNAL. Anything else
// (a TypeError, a RangeError from a library, INTERNAL) fails the property, and fast-check prints
// the smallest input that does it together with the seed to replay it.
import fc from 'fast-check';
import { expect } from 'vitest';
import { ERROR_CODES, isKuraError, type ErrorCode } from '../../src/errors.js';

/**
 * Fixed so that every run tries the same inputs and a failure reproduces (fast-check prints the
 * seed and path). KURA_FUZZ_SEED picks another seed and KURA_FUZZ_SCALE multiplies every run
 * count, for a deeper search by hand or in a nightly job; neither is a secret.
 */
export const FUZZ_SEED = Number(process.env.KURA_FUZZ_SEED ?? 20_250_615);
const FUZZ_SCALE = Math.max(1, Number(process.env.KURA_FUZZ_SCALE ?? 1) || 1);

/** A property's run count, times KURA_FUZZ_SCALE. */
export function fuzzRuns(runs: number): number {
  return Math.round(runs * FUZZ_SCALE);
}

export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: ErrorCode };

/** Runs `fn`: a value, or a typed refusal with a known code other than INTERNAL; anything else throws. */
export function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!isKuraError(error)) throw error;
    expect(Object.keys(ERROR_CODES)).toContain(error.code);
    expect(error.code, error.message).not.toBe('INTERNAL');
    expect(typeof error.message).toBe('string');
    return { ok: false, code: error.code };
  }
}

/** As outcome, for async work. */
export async function outcomeAsync<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (!isKuraError(error)) throw error;
    expect(Object.keys(ERROR_CODES)).toContain(error.code);
    expect(error.code, error.message).not.toBe('INTERNAL');
    return { ok: false, code: error.code };
  }
}

/** Tallies outcomes by code, for the figures a fuzz test prints. */
export class Tally {
  private readonly counts = new Map<string, number>();
  cases = 0;

  add(result: Outcome<unknown>): void {
    this.cases += 1;
    const key = result.ok ? 'accepted' : result.code;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get accepted(): number {
    return this.counts.get('accepted') ?? 0;
  }

  /** "250 cases: accepted 3, PSBT_MALFORMED 200, …" */
  toString(): string {
    const parts = [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    return `${this.cases} cases: ${parts.join(', ')}`;
  }
}

/** One edit of a byte string. `at` is reduced modulo the length at the time it is applied. */
export type ByteEdit =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number };

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('repeat' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 80 }),
    }),
  },
);

export function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  const at = bytes.length === 0 ? 0 : edit.at % bytes.length;
  const head = bytes.subarray(0, at);
  switch (edit.kind) {
    case 'flip':
    case 'set': {
      const out = Uint8Array.from(bytes);
      if (out.length === 0) return out;
      out[at] = edit.kind === 'flip' ? (out[at] ?? 0) ^ (1 << edit.bit) : edit.byte;
      return out;
    }
    case 'truncate':
      return Uint8Array.from(head);
    case 'insert':
      return Uint8Array.from([...head, ...edit.bytes, ...bytes.subarray(at)]);
    case 'delete':
      return Uint8Array.from([...head, ...bytes.subarray(at + edit.length)]);
    case 'repeat': {
      const piece = bytes.subarray(at, at + edit.length);
      return Uint8Array.from([...head, ...piece, ...bytes.subarray(at)]);
    }
  }
}

/** A byte edit placed inside `ranges` (half-open [start, end) pairs) instead of anywhere. */
export function editWithin(ranges: readonly (readonly [number, number])[]): fc.Arbitrary<ByteEdit> {
  return fc.tuple(fc.constantFrom(...ranges), byteEdit, fc.nat()).map(([[start, end], edit, offset]) => {
    const at = start + (offset % Math.max(end - start, 1));
    return { ...edit, at };
  });
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** JSON.parse of UTF-8 bytes the way kura's file readers do it (readJsonFile). */
export function jsonOfBytes(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
}

// ---- JSON documents ----

export type JsonPath = readonly (string | number)[];

/** Every path into a JSON value (objects and arrays included), the root excluded. */
export function jsonPaths(value: unknown, at: JsonPath = []): JsonPath[] {
  const below = Array.isArray(value)
    ? value.flatMap((v, i) => jsonPaths(v, [...at, i]))
    : typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) => jsonPaths(v, [...at, k]))
      : [];
  return at.length === 0 ? below : [at, ...below];
}

/** What a JSON mutation does at a path: put another value there, delete it, or add a field beside it. */
export type JsonEdit =
  | { readonly kind: 'replace'; readonly path: JsonPath; readonly value: unknown }
  | { readonly kind: 'remove'; readonly path: JsonPath }
  | { readonly kind: 'add'; readonly name: string; readonly value: unknown };

/** Values that break parsers more often than random JSON: near misses of what the fields hold. */
export function nearMisses(original: unknown): fc.Arbitrary<unknown> {
  const strings = fc.oneof(
    fc.constantFrom('', ' ', '0', '-1', '1e3', 'NaN', '\u0000', '\ud800', 'é'.repeat(300)),
    fc.string({ maxLength: 20 }),
  );
  const numbers = fc.oneof(
    fc.constantFrom(0, -1, 1.5, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, 1e308),
    fc.integer(),
  );
  const fromOriginal: fc.Arbitrary<unknown>[] = [];
  if (typeof original === 'string' && original.length > 0) {
    fromOriginal.push(
      fc.nat().map((n) => original.slice(0, n % original.length)),
      fc.nat().map((n) => original.toUpperCase() + String(n % 10)),
      fc.constant(` ${original}`),
    );
  }
  if (typeof original === 'number') fromOriginal.push(fc.constantFrom(original + 1, original - 1, -original));
  return fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    strings,
    numbers,
    fc.constantFrom(null, true, [], {}, [null]),
    ...fromOriginal,
  );
}

export function jsonEdit(document: unknown): fc.Arbitrary<JsonEdit> {
  const paths = jsonPaths(document);
  const get = (path: JsonPath): unknown =>
    path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], document);
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(...paths)
        .chain((path) => nearMisses(get(path)).map((value) => ({ kind: 'replace' as const, path, value }))),
    },
    { weight: 2, arbitrary: fc.constantFrom(...paths).map((path) => ({ kind: 'remove' as const, path })) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString')),
        value: fc.jsonValue({ maxDepth: 1 }),
      }),
    },
  );
}

/** A copy of `document` with `edit` applied (JSON in, JSON out: no shared references). */
export function applyJsonEdit(document: unknown, edit: JsonEdit): unknown {
  const copy = JSON.parse(JSON.stringify(document)) as Record<string | number, unknown>;
  if (edit.kind === 'add') {
    // JSON text, so that "__proto__" becomes an own property as JSON.parse makes it
    const text = JSON.stringify(copy).replace(
      /^\{/,
      `{${JSON.stringify(edit.name)}:${JSON.stringify(edit.value)},`,
    );
    return JSON.parse(text.replace(/,}$/, '}')) as unknown;
  }
  const parent = edit.path
    .slice(0, -1)
    .reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, copy);
  const last = edit.path[edit.path.length - 1] as string | number;
  if (edit.kind === 'remove') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete parent[last];
  } else parent[last] = edit.value;
  return copy;
}

/** A document mutated at the JSON level, or its text mutated at the byte level. */
export type DocumentMutation =
  | { readonly level: 'json'; readonly edits: readonly JsonEdit[] }
  | { readonly level: 'bytes'; readonly edits: readonly ByteEdit[] };

export function documentMutation(document: unknown): fc.Arbitrary<DocumentMutation> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .array(jsonEdit(document), { minLength: 1, maxLength: 3 })
        .map((edits) => ({ level: 'json' as const, edits })),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(byteEdit, { minLength: 1, maxLength: 4 })
        .map((edits) => ({ level: 'bytes' as const, edits })),
    },
  );
}

/**
 * The file's bytes after the mutation. JSON-level edits are applied one after the other; an edit
 * whose path the previous ones removed is skipped.
 */
export function mutateDocument(document: unknown, text: string, mutation: DocumentMutation): Uint8Array {
  if (mutation.level === 'bytes') return mutation.edits.reduce(applyByteEdit, utf8(text));
  let current = document;
  for (const edit of mutation.edits) {
    try {
      current = applyJsonEdit(current, edit);
    } catch {
      // the path no longer exists in the edited document
    }
  }
  return utf8(`${JSON.stringify(current, null, 2)}\n`);
}
