// `kura audit log export`: the coordinator's audit log as a file an auditor can take away — a
// header line (header.ts) and the hash chain, one entry per line, exactly as the store holds it.
import { writeFileAtomic } from '../../artifacts/atomicWrite.js';
import type { CoordinatorHome } from '../../coordinator/home.js';
import { LOG_EXPORT_KIND, LOG_EXPORT_VERSION, type LogExportHeader } from './header.js';
import { verifyLogLines } from './verify.js';

export interface LogExportResult {
  readonly out: string;
  readonly header: LogExportHeader;
}

/** The export's text: header line, then the entries. Checked with the auditor's own verifier. */
export function coordinatorLogExport(
  home: CoordinatorHome,
  now: number,
): { text: string; header: LogExportHeader } {
  // The store's own check first: a broken chain in the database is STORE_CORRUPT, the
  // coordinator's problem, named as such rather than as a tampered export.
  home.store.verifyAudit();
  const body = home.store.exportAudit();
  const lines = body === '' ? [] : body.replace(/\n$/, '').split('\n');
  // Entries and head are taken from the very text written, not from a second read of the store
  // that another process may have appended to in between.
  const { entries, head } = verifyLogLines(lines);
  const meta = home.store.meta();
  const header: LogExportHeader = {
    kind: LOG_EXPORT_KIND,
    version: LOG_EXPORT_VERSION,
    source: 'coordinator',
    network: meta.network,
    walletId: meta.walletId,
    exportedAt: now,
    entries,
    head,
  };
  return { text: `${JSON.stringify(header)}\n${body}`, header };
}

/** Writes the export; an existing file is never replaced (FILE_EXISTS). */
export function exportCoordinatorLog(home: CoordinatorHome, outPath: string, now: number): LogExportResult {
  const { text, header } = coordinatorLogExport(home, now);
  verifyLogLines(text.replace(/\n$/, '').split('\n'));
  writeFileAtomic(outPath, text, { exclusive: true, mode: 0o444 });
  return { out: outPath, header };
}
