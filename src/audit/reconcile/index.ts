// Reconciling signer ledgers with the coordinator's audit log (reconcile.ts says what is checked).
import { readJsonFile } from '../../artifacts/readFile.js';
import { parseWalletFile } from '../../artifacts/walletFile.js';
import { KuraError } from '../../errors.js';
import { verifyLogFile, type LogVerification, type LogVerifyOptions } from '../log/verify.js';
import { reconcile, type ReconcileReport } from './reconcile.js';

export * from './coordinatorLog.js';
export * from './ledgerSignatures.js';
export * from './reconcile.js';

export interface ReconcileFiles {
  readonly logPath: string;
  readonly ledgerPaths: readonly string[];
  readonly walletPath?: string;
  /** A head of the coordinator's log recorded earlier; the log must contain it. */
  readonly recordedHead?: string;
}

/** Verifies one file, and names the file in any refusal: reconcile reads several. */
function verifyNamed(path: string, options: LogVerifyOptions = {}): LogVerification {
  try {
    return verifyLogFile(path, options);
  } catch (error) {
    if (!(error instanceof KuraError) || 'file' in error.details) throw error;
    throw new KuraError(error.code, `${path}: ${error.message}`, { ...error.details, file: path }, error);
  }
}

/** Verifies every file's hash chain first (any damage stops here with its code), then reconciles. */
export function reconcileFiles(files: ReconcileFiles): ReconcileReport {
  const log = verifyNamed(
    files.logPath,
    files.recordedHead === undefined ? {} : { recordedHead: files.recordedHead },
  );
  const ledgers = files.ledgerPaths.map((path) => ({ name: path, verification: verifyNamed(path) }));
  return reconcile({
    log,
    ledgers,
    ...(files.walletPath === undefined
      ? {}
      : { wallet: parseWalletFile(readJsonFile(files.walletPath, 'wallet')) }),
  });
}
