// Medians for the benchmark tables. vitest bench prints its own statistics per function; these
// tables put kura and the raw library side by side at each size with their ratio and per-input
// time, which is what the speed targets are stated in. Timings are printed, never asserted.

export class Timings {
  private readonly runs = new Map<string, number[]>();

  time<T>(who: string, size: number, fn: () => T): T {
    const start = performance.now();
    const result = fn();
    const key = `${who}@${size}`;
    const list = this.runs.get(key) ?? [];
    list.push(performance.now() - start);
    this.runs.set(key, list);
    return result;
  }

  /** Records a run timed elsewhere (an asynchronous one). */
  record(who: string, size: number, milliseconds: number): void {
    const key = `${who}@${size}`;
    this.runs.set(key, [...(this.runs.get(key) ?? []), milliseconds]);
  }

  /** Median milliseconds of the runs of `who` at `size`, undefined before any run. */
  median(who: string, size: number): number | undefined {
    const list = [...(this.runs.get(`${who}@${size}`) ?? [])].sort((a, b) => a - b);
    if (list.length === 0) return undefined;
    const mid = list.length >> 1;
    return list.length % 2 === 1
      ? (list[mid] as number)
      : ((list[mid - 1] as number) + (list[mid] as number)) / 2;
  }
}

const ms = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(1)} ms`);
const us = (value: number | undefined, size: number): string =>
  value === undefined ? '-' : `${((value * 1000) / size).toFixed(1)} µs`;

/** Prints a markdown table (right-aligned cells) under a title: what docs/speed.md copies. */
export function printGrid(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? '').padStart(w)).join(' | ')} |`;
  const out = [
    '',
    title,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    '',
  ];
  console.log(out.join('\n'));
}

/** Prints: size | kura | library | ratio | kura per input | library per input. */
export function printTable(
  title: string,
  timings: Timings,
  ours: string,
  theirs: string,
  sizes: readonly number[],
): void {
  const rows = sizes.map((size) => {
    const a = timings.median(ours, size);
    const b = timings.median(theirs, size);
    const ratio = a === undefined || b === undefined ? '-' : (a / b).toFixed(3);
    return [String(size), ms(a), ms(b), ratio, us(a, size), us(b, size)];
  });
  printGrid(
    title,
    ['size', ours, theirs, `ratio ${ours}/${theirs}`, `${ours} per input`, `${theirs} per input`],
    rows,
  );
}

const rate = (value: number | undefined, size: number): number | undefined =>
  value === undefined || value === 0 ? undefined : (size * 1000) / value;
const perSecond = (value: number | undefined): string =>
  value === undefined ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(1);

/**
 * Prints throughput where the target is a rate (requests, blocks, addresses per second):
 * size | kura time | library time | kura /s | library /s | ratio of the rates (kura/library, so
 * above 1 means kura is faster).
 */
export function printRateTable(
  title: string,
  timings: Timings,
  ours: string,
  theirs: string,
  sizes: readonly number[],
  unit: string,
): void {
  const rows = sizes.map((size) => {
    const a = rate(timings.median(ours, size), size);
    const b = rate(timings.median(theirs, size), size);
    const ratio = a === undefined || b === undefined ? '-' : (a / b).toFixed(3);
    return [
      String(size),
      ms(timings.median(ours, size)),
      ms(timings.median(theirs, size)),
      perSecond(a),
      perSecond(b),
      ratio,
    ];
  });
  printGrid(
    title,
    ['size', ours, theirs, `${ours} ${unit}/s`, `${theirs} ${unit}/s`, `rate ratio ${ours}/${theirs}`],
    rows,
  );
}

/**
 * A bench body as an async function. tinybench (under vitest bench) calls a plain function once
 * more before the warm-up and once more before the runs to find out whether it returns a promise;
 * an async function it takes at its word. At seconds per run that is time worth keeping, and
 * the extra calls would add samples to the Timings.
 */
export function task(fn: () => unknown): () => Promise<void> {
  return async () => {
    await fn();
  };
}
