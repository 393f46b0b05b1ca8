// `kura audit solvency`: the auditor's verification report of a reserves proof, the published
// liabilities root, and the statement comparing them, as JSON and as one HTML page.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import { writeFileAtomic } from '../../artifacts/atomicWrite.js';
import { readBoundedFile, readJsonFile } from '../../artifacts/readFile.js';
import { parseRootFile } from '../liabilities/files.js';
import { MAX_PROOF_FILE_BYTES } from '../reserves/proofFile.js';
import { parseReport } from '../reserves/report.js';
import { statementHtml } from './html.js';
import { solvencyStatement, statementFileOf, type SolvencyStatement } from './statement.js';

export { escapeHtml, LISTED_COINS, statementHtml } from './html.js';
export {
  coverageRatio,
  solvencyStatement,
  statementFileOf,
  STATEMENT_KIND,
  STATEMENT_VERSION,
  type SolvencyStatement,
} from './statement.js';

/** A report lists every coin of a proof; a proof file may reach 64 MiB, its report less. */
const MAX_REPORT_BYTES = MAX_PROOF_FILE_BYTES;

export interface SolvencyOptions {
  /** The verification report written by `kura audit reserves verify --out`. */
  readonly reportPath: string;
  /** The liabilities root file written by `kura audit liabilities build`. */
  readonly liabilitiesPath: string;
  /** The proof file itself, to check the report is about it (its SHA-256). */
  readonly proofPath?: string;
  readonly now: number;
}

export function solvencyFromFiles(options: SolvencyOptions): SolvencyStatement {
  const report = parseReport(readJsonFile(options.reportPath, 'reserves', MAX_REPORT_BYTES));
  const root = parseRootFile(readJsonFile(options.liabilitiesPath, 'liabilities'));
  if (options.proofPath !== undefined) {
    const digest = bytesToHex(sha256(readBoundedFile(options.proofPath, MAX_PROOF_FILE_BYTES, 'proof')));
    if (digest !== report.proofSha256) {
      throw new KuraError(
        'SOLVENCY_INPUT_MISMATCH',
        `the report verified the proof file ${report.proofSha256.slice(0, 16)}…, not ${options.proofPath} (${digest.slice(0, 16)}…)`,
        { field: 'proof', expected: report.proofSha256, got: digest },
      );
    }
  }
  return solvencyStatement(report, root, options.now);
}

/** Writes the JSON statement and/or the HTML page; neither replaces an existing file. */
export function writeStatement(statement: SolvencyStatement, paths: { json?: string; html?: string }): void {
  if (paths.json !== undefined) {
    writeFileAtomic(paths.json, `${JSON.stringify(statementFileOf(statement), null, 2)}\n`, {
      exclusive: true,
      mode: 0o644,
    });
  }
  if (paths.html !== undefined)
    writeFileAtomic(paths.html, statementHtml(statement), { exclusive: true, mode: 0o644 });
}
