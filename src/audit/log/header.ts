// The first line of an exported coordinator log: what the export is and where it ended. The hash
// chain alone proves every entry follows the one before it, but not that entries are missing at
// the end; the header's entry count and head hash do, as long as the header itself is believed —
// so an auditor compares `head` with a head recorded through another channel (kura coordinator
// status prints it; `kura audit log verify --head` checks a recorded one is in the log).
//
// A signer's ledger export (kura signer ledger export) has no header: the same verifier reads it,
// and says that its end cannot be checked without --head.
import { GENESIS_HASH } from '../../artifacts/hashChain.js';
import { NETWORK_NAMES, type NetworkName } from '../../bitcoin/networks.js';
import { KuraError } from '../../errors.js';

export const LOG_EXPORT_KIND = 'kura-audit-log-export';
export const LOG_EXPORT_VERSION = 1;

export interface LogExportHeader {
  readonly kind: typeof LOG_EXPORT_KIND;
  readonly version: typeof LOG_EXPORT_VERSION;
  readonly source: 'coordinator';
  readonly network: NetworkName;
  readonly walletId: string;
  /** Unix seconds. */
  readonly exportedAt: number;
  readonly entries: number;
  /** The last entry's hash; 64 zeros for an empty log. */
  readonly head: string;
}

const HEX32 = /^[0-9a-f]{64}$/;

/** Whether a parsed first line is meant as a header (entries never have a `kind`). */
export function looksLikeHeader(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value;
}

export function parseLogHeader(value: unknown): LogExportHeader {
  const fail = (field: string, why: string) =>
    new KuraError('AUDIT_LOG_MALFORMED', `the log export header "${field}" ${why}`, { field, line: 1 });
  if (!looksLikeHeader(value)) throw fail('kind', 'is missing');
  const o = value as Record<string, unknown>;
  if (o.kind !== LOG_EXPORT_KIND) throw fail('kind', `must be "${LOG_EXPORT_KIND}"`);
  if (o.version !== LOG_EXPORT_VERSION) throw fail('version', `must be ${LOG_EXPORT_VERSION}`);
  if (o.source !== 'coordinator') throw fail('source', 'must be "coordinator"');
  if (typeof o.network !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(o.network))
    throw fail('network', `must be one of ${NETWORK_NAMES.join(', ')}`);
  if (typeof o.walletId !== 'string' || !HEX32.test(o.walletId))
    throw fail('walletId', 'must be 32 bytes of hex');
  for (const field of ['exportedAt', 'entries'] as const) {
    const n = o[field];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw fail(field, 'must be a whole number');
  }
  if (typeof o.head !== 'string' || !HEX32.test(o.head)) throw fail('head', 'must be 32 bytes of hex');
  if (o.entries === 0 && o.head !== GENESIS_HASH) throw fail('head', 'must be 64 zeros for an empty log');
  return o as unknown as LogExportHeader;
}
