// The wallet's derived addresses, receive (branch 0) and change (branch 1): which ones the
// scanner watches, which a transaction paid (used) and which were handed out (issued).
import { KuraError } from '../../errors.js';
import type { Row, Sql } from './database.js';
import { flag, int, intOrNull, text } from './rows.js';
import type { Tx } from './tx.js';
import type { AddressRecord, Branch, BranchSummary } from './types.js';
import { integerOf } from './validate.js';

const P2WSH_SCRIPT = /^0020[0-9a-f]{64}$/;
const COLUMNS = 'branch, address_index, script_pubkey, used, issued';

export function branchOf(value: number, field = 'branch'): Branch {
  if (value !== 0 && value !== 1) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be 0 (receive) or 1 (change)`, { field });
  }
  return value;
}

function addressOf(row: Row): AddressRecord {
  return {
    branch: branchOf(int(row, 'branch')),
    addressIndex: int(row, 'address_index'),
    scriptPubKey: text(row, 'script_pubkey'),
    used: flag(row, 'used'),
    issued: flag(row, 'issued'),
  };
}

export function addressAt(sql: Sql, branch: Branch, index: number): AddressRecord | undefined {
  const row = sql.get(
    `SELECT ${COLUMNS} FROM addresses WHERE branch = ? AND address_index = ?`,
    branch,
    index,
  );
  return row === undefined ? undefined : addressOf(row);
}

export function addressByScript(sql: Sql, scriptPubKey: string): AddressRecord | undefined {
  const row = sql.get(`SELECT ${COLUMNS} FROM addresses WHERE script_pubkey = ?`, scriptPubKey);
  return row === undefined ? undefined : addressOf(row);
}

export function addresses(sql: Sql, branch: Branch): AddressRecord[] {
  return sql
    .all(`SELECT ${COLUMNS} FROM addresses WHERE branch = ? ORDER BY address_index`, branch)
    .map(addressOf);
}

/** The lowest stored address of the branch neither paid nor handed out, if one is stored. */
export function nextUnusedAddress(sql: Sql, branch: Branch): AddressRecord | undefined {
  const row = sql.get(
    `SELECT ${COLUMNS} FROM addresses WHERE branch = ? AND used = 0 AND issued = 0
     ORDER BY address_index LIMIT 1`,
    branch,
  );
  return row === undefined ? undefined : addressOf(row);
}

/** Per branch: the highest index stored, used and issued (-1 for none): what the gap limit needs. */
export function branchSummary(sql: Sql, branch: Branch): BranchSummary {
  const row = sql.get(
    `SELECT max(address_index) AS derived,
            max(CASE WHEN used = 1 THEN address_index END) AS used,
            max(CASE WHEN issued = 1 THEN address_index END) AS issued
     FROM addresses WHERE branch = ?`,
    branch,
  );
  const of = (column: string) => (row === undefined ? -1 : (intOrNull(row, column) ?? -1));
  return { lastDerived: of('derived'), lastUsed: of('used'), lastIssued: of('issued') };
}

/**
 * Records derived addresses (the caller derives them from the wallet descriptor). An address
 * already stored with the same script is skipped; with another script it is STORE_CORRUPT.
 */
export function addAddresses(
  tx: Tx,
  list: readonly { branch: Branch; addressIndex: number; scriptPubKey: string }[],
): number {
  const added: string[] = [];
  for (const a of list) {
    branchOf(a.branch);
    integerOf(a.addressIndex, 'addressIndex', 0, 2 ** 31 - 1);
    if (!P2WSH_SCRIPT.test(a.scriptPubKey)) {
      throw new KuraError('ARGUMENT_INVALID', '"scriptPubKey" must be a P2WSH script in lowercase hex', {
        field: 'scriptPubKey',
      });
    }
    const existing = addressAt(tx.sql, a.branch, a.addressIndex);
    if (existing !== undefined) {
      if (existing.scriptPubKey !== a.scriptPubKey) {
        throw new KuraError(
          'STORE_CORRUPT',
          `address ${a.branch}/${a.addressIndex} is stored with another script`,
          {
            field: 'scriptPubKey',
            branch: a.branch,
            addressIndex: a.addressIndex,
          },
        );
      }
      continue;
    }
    tx.sql.run(
      'INSERT INTO addresses (branch, address_index, script_pubkey, used, issued) VALUES (?, ?, ?, 0, 0)',
      a.branch,
      a.addressIndex,
      a.scriptPubKey,
    );
    added.push(`${a.branch}/${a.addressIndex}`);
  }
  if (added.length > 0) tx.audit('address.add', { addresses: added });
  return added.length;
}

/** Marks a stored address handed out (a deposit address shown, a change output built). */
export function issueAddress(tx: Tx, branch: Branch, index: number): AddressRecord {
  const address = addressAt(tx.sql, branchOf(branch), index);
  if (address === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no address ${branch}/${index} is stored`, {
      field: 'addressIndex',
      branch,
      addressIndex: index,
    });
  }
  if (address.issued) return address;
  tx.sql.run('UPDATE addresses SET issued = 1 WHERE branch = ? AND address_index = ?', branch, index);
  tx.audit('address.issue', { address: `${branch}/${index}`, scriptPubKey: address.scriptPubKey });
  return { ...address, issued: true };
}
