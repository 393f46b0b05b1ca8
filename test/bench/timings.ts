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
  const header = [
    'size',
    ours,
    theirs,
    `ratio ${ours}/${theirs}`,
    `${ours} per input`,
    `${theirs} per input`,
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padStart(widths[i] as number)).join(' | ')} |`;
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
