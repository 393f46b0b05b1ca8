// `kura audit liabilities build`: balances CSV in, a folder out:
//
//   DIR/root.json               the root to publish (hash, total, count, depth, time)
//   DIR/proofs/<customer>.json  one inclusion proof per customer, for that customer only
//
// Everything is written into a staging folder beside DIR, made durable (every file fsynced, then
// its folder), and the staging folder is renamed to DIR at the end: a reader sees no DIR or a
// complete one, never part of a proof set, and a crash leaves only a hidden staging folder.
//
// root.json goes through writeFileAtomic like every kura file. The proofs do not, on purpose:
// inside a staging folder nobody reads, a temporary file and a rename per proof buy nothing, and
// its two fsyncs per file, one after another, took 4 ms a proof here — 70 minutes for a million
// customers. Proofs are written with exclusive create, fsynced, 64 at a time, so the file
// system's journal commits many at once (a million in minutes).
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../artifacts/atomicWrite.js';
import { KuraError, systemErrorCode } from '../../errors.js';
import { readBalancesCsv } from './balances.js';
import { proofFileOf, rootFileOf, type RootFile } from './files.js';
import { buildTree, type BuildTreeOptions, type MerkleSumTree } from './tree.js';

export const ROOT_FILE = 'root.json';
/** Proof files written at once: enough for the journal to commit many fsyncs together. */
const WRITERS = 64;
export const PROOFS_FOLDER = 'proofs';

export interface LiabilitiesProgress {
  readonly phase: 'read' | 'leaves' | 'nodes' | 'proofs';
  readonly done: number;
  /** Unknown while the CSV is still being read. */
  readonly total?: number;
}

export interface BuildLiabilitiesOptions {
  readonly balancesPath: string;
  readonly outDir: string;
  /** Unix seconds: the moment the balances describe, bound into the root hash. */
  readonly now: number;
  readonly onProgress?: (progress: LiabilitiesProgress) => void;
  /** How often to report, in rows, leaves, nodes or files. */
  readonly progressEvery?: number;
  readonly randomSalts?: BuildTreeOptions['randomSalts'];
}

export interface BuildLiabilitiesResult {
  readonly root: RootFile;
  readonly outDir: string;
  readonly rootPath: string;
  readonly proofsDir: string;
  readonly proofs: number;
}

/** A customer's proof file name; ids are safe file names by construction (balances.ts). */
export function proofFileName(customerId: string): string {
  return `${customerId}.json`;
}

function checkOutDirFree(outDir: string): void {
  let entries: string[];
  try {
    if (!statSync(outDir).isDirectory())
      throw new KuraError('FILE_EXISTS', `"out": ${outDir} exists and is not a folder`, {
        field: 'out',
        path: outDir,
      });
    entries = readdirSync(outDir);
  } catch (cause) {
    if (systemErrorCode(cause) === 'ENOENT') return;
    throw cause;
  }
  if (entries.length > 0) {
    throw new KuraError('FILE_EXISTS', `"out": ${outDir} is not empty; kura does not overwrite a proof set`, {
      field: 'out',
      path: outDir,
    });
  }
}

function fsyncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function writeProofs(
  dir: string,
  tree: MerkleSumTree,
  every: number,
  report: ((progress: LiabilitiesProgress) => void) | undefined,
): Promise<void> {
  let next = 0;
  let written = 0;
  let failure: unknown;
  const writer = async () => {
    // after a failure every writer stops at its next file, so cleaning up races with nothing
    while (failure === undefined && next < tree.count) {
      const proof = proofFileOf(tree, next++);
      try {
        const file = await open(join(dir, proofFileName(proof.customerId)), 'wx', 0o600);
        try {
          await file.writeFile(`${JSON.stringify(proof, null, 2)}\n`);
          await file.sync();
        } finally {
          await file.close();
        }
      } catch (cause) {
        failure ??= cause;
        return;
      }
      written += 1;
      if (written % every === 0) report?.({ phase: 'proofs', done: written, total: tree.count });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITERS, tree.count) }, writer));
  if (failure !== undefined) {
    if (systemErrorCode(failure) === 'EEXIST') {
      // only on a file system that ignores case, which the duplicate check already covers
      throw new KuraError(
        'FILE_EXISTS',
        'two customers map to one proof file name',
        { field: 'out' },
        failure,
      );
    }
    throw failure;
  }
  fsyncFolder(dir);
}

export async function buildLiabilities(options: BuildLiabilitiesOptions): Promise<BuildLiabilitiesResult> {
  const outDir = resolve(options.outDir);
  const every = options.progressEvery ?? 100_000;
  const report = options.onProgress;
  checkOutDirFree(outDir);

  const accounts = readBalancesCsv(options.balancesPath, {
    progressEvery: every,
    ...(report === undefined ? {} : { onProgress: (p) => report({ phase: 'read', done: p.rows }) }),
  });
  const tree = buildTree(accounts, {
    createdAt: options.now,
    progressEvery: every,
    ...(options.randomSalts === undefined ? {} : { randomSalts: options.randomSalts }),
    ...(report === undefined ? {} : { onProgress: (p) => report(p) }),
  });
  const root = rootFileOf(tree);

  const parent = dirname(outDir);
  const staging = join(parent, `.${basename(outDir)}.${randomBytes(6).toString('hex')}.staging`);
  try {
    mkdirSync(parent, { recursive: true });
    // Proofs are private to each customer: the folders are the owner's only.
    mkdirSync(join(staging, PROOFS_FOLDER), { recursive: true, mode: 0o700 });
    await writeProofs(join(staging, PROOFS_FOLDER), tree, every, report);
    writeFileAtomic(join(staging, ROOT_FILE), `${JSON.stringify(root, null, 2)}\n`, { mode: 0o644 });
    renameSync(staging, outDir);
    fsyncFolder(parent);
  } catch (cause) {
    rmSync(staging, { recursive: true, force: true });
    if (cause instanceof KuraError) throw cause;
    throw new KuraError(
      'FILE_WRITE_FAILED',
      `could not write the proof set to ${outDir} (${systemErrorCode(cause) ?? 'error'}); nothing was left behind`,
      { field: 'out', path: outDir },
      cause,
    );
  }
  return {
    root,
    outDir,
    rootPath: join(outDir, ROOT_FILE),
    proofsDir: join(outDir, PROOFS_FOLDER),
    proofs: tree.count,
  };
}
