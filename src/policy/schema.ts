// Reading a policy file: parsePolicy checks every field once, at the boundary, and returns a
// Policy the rest of kura trusts. Pure: bytes in, value out. The file format is documented field
// by field in docs/policy.md and described by policies/policy.schema.json.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { destinationScript, parseAmountSat } from '../approvals/request.js';
import { ecc } from '../bitcoin/ecc.js';
import { NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';
import { KuraError } from '../errors.js';
import {
  asArray,
  asBoolean,
  asHex32,
  asInteger,
  asName,
  asObject,
  asPercentBasisPoints,
  asText,
  join,
  policyInvalid,
  type JsonObject,
} from './fields.js';
import { decodeUtf8, parseStrictJson } from './json.js';
import {
  POLICY_KIND,
  POLICY_VERSION,
  type Allowlist,
  type DenylistEntry,
  type FeeCaps,
  type Limits,
  type Officer,
  type Policy,
  type Screening,
  type Tier,
} from './types.js';

const DAY = 86_400;
/** More officers than a board and its deputies is a mistake, and slows every evaluation. */
export const MAX_OFFICERS = 100;
export const MAX_TIERS = 20;
/** A delay longer than 30 days is a freeze, which belongs to no tier. */
export const MAX_DELAY_SECONDS = 30 * DAY;
export const MAX_COOLING_SECONDS = 365 * DAY;
/** An approval younger than a minute cannot be collected; one older than 30 days is stale. */
export const MIN_APPROVAL_EXPIRY_SECONDS = 60;
export const MAX_APPROVAL_EXPIRY_SECONDS = 30 * DAY;
export const MAX_ALLOWLIST_ENTRIES = 10_000;
export const MAX_DENYLIST_ENTRIES = 1_000_000;
export const MAX_WITHDRAWALS_PER_DAY = 100_000;
/** Fee rates have peaked near 1,000 sat/vB; a cap above 10,000 sat/vB protects nothing. */
export const MAX_FEE_RATE_CAP_SAT_VB = 10_000;

const TOP_FIELDS = [
  'kind',
  'version',
  'description',
  'network',
  'walletId',
  'officers',
  'tiers',
  'limits',
  'allowlist',
  'screening',
  'fees',
  'approvalExpirySeconds',
] as const;

/** The policy hash: SHA-256 of the policy file's exact bytes, lowercase hex. */
export function policyHashOf(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

function parseNetwork(value: unknown): NetworkName {
  if (typeof value !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(value)) {
    throw policyInvalid('network', `must be one of ${NETWORK_NAMES.join(', ')}`);
  }
  return value as NetworkName;
}

function parseOfficers(value: unknown): Officer[] {
  const list = asArray(value, 'officers', 1, MAX_OFFICERS);
  const ids = new Set<string>();
  const keys = new Set<string>();
  return list.map((item, i) => {
    const field = join('officers', i);
    const o = asObject(item, field, ['id', 'role', 'publicKey']);
    const id = asName(o.id, join(field, 'id'));
    const role = asName(o.role, join(field, 'role'));
    const publicKey = asHex32(o.publicKey, join(field, 'publicKey'));
    if (!ecc.isXOnlyPoint(hexToBytes(publicKey))) {
      throw policyInvalid(join(field, 'publicKey'), 'is not an x-only public key on secp256k1');
    }
    if (ids.has(id)) throw policyInvalid(join(field, 'id'), `repeats the officer id "${id}"`);
    if (keys.has(publicKey)) throw policyInvalid(join(field, 'publicKey'), 'repeats another officer’s key');
    ids.add(id);
    keys.add(publicKey);
    return { id, role, publicKey };
  });
}

function parseTiers(value: unknown, officers: readonly Officer[]): Tier[] {
  const list = asArray(value, 'tiers', 1, MAX_TIERS);
  const roles = new Set(officers.map((o) => o.role));
  const tiers: Tier[] = [];
  list.forEach((item, i) => {
    const field = join('tiers', i);
    const o = asObject(item, field, ['upToSat', 'approvals', 'requiredRoles', 'delaySeconds']);
    const upToSat = parseAmountSat(o.upToSat, join(field, 'upToSat'));
    const approvals = asInteger(o.approvals, join(field, 'approvals'), 1, officers.length);
    const roleList = asArray(o.requiredRoles, join(field, 'requiredRoles'), 0, approvals);
    const requiredRoles = roleList.map((r, j) => {
      const role = asName(r, join(join(field, 'requiredRoles'), j));
      if (!roles.has(role)) {
        throw policyInvalid(
          join(join(field, 'requiredRoles'), j),
          `names role "${role}", which no officer has`,
        );
      }
      if (roleList.indexOf(r) !== j) {
        throw policyInvalid(join(join(field, 'requiredRoles'), j), `repeats role "${role}"`);
      }
      return role;
    });
    const delaySeconds = asInteger(o.delaySeconds, join(field, 'delaySeconds'), 0, MAX_DELAY_SECONDS);
    const previous = tiers[i - 1];
    if (previous !== undefined && upToSat <= previous.upToSat) {
      throw policyInvalid(join(field, 'upToSat'), `must be above tiers[${i - 1}].upToSat (tiers ascend)`);
    }
    if (previous !== undefined && approvals < previous.approvals) {
      throw policyInvalid(
        join(field, 'approvals'),
        `must be at least tiers[${i - 1}].approvals: a larger amount never needs fewer approvals`,
      );
    }
    tiers.push({ upToSat, approvals, requiredRoles, delaySeconds });
  });
  return tiers;
}

function parseLimits(value: unknown): Limits {
  const o = asObject(value, 'limits', ['perWithdrawalSat', 'rolling24h']);
  const perWithdrawalSat = parseAmountSat(o.perWithdrawalSat, 'limits.perWithdrawalSat');
  const r = asObject(o.rolling24h, 'limits.rolling24h', ['amountSat', 'count']);
  return {
    perWithdrawalSat,
    rolling24h: {
      amountSat: parseAmountSat(r.amountSat, 'limits.rolling24h.amountSat'),
      count: asInteger(r.count, 'limits.rolling24h.count', 1, MAX_WITHDRAWALS_PER_DAY),
    },
  };
}

function scriptHex(address: unknown, network: NetworkName, field: string): string {
  if (typeof address !== 'string') throw policyInvalid(field, 'must be an address');
  return bytesToHex(destinationScript(address, network, field));
}

function parseAllowlist(value: unknown, network: NetworkName): Allowlist {
  const o = asObject(value, 'allowlist', ['enforced', 'coolingSeconds', 'entries']);
  const seen = new Map<string, number>();
  const entries = asArray(o.entries, 'allowlist.entries', 0, MAX_ALLOWLIST_ENTRIES).map((item, i) => {
    const field = join('allowlist.entries', i);
    const e = asObject(item, field, ['address', 'label', 'addedAt']);
    const scriptPubKey = scriptHex(e.address, network, join(field, 'address'));
    const first = seen.get(scriptPubKey);
    if (first !== undefined) {
      throw policyInvalid(join(field, 'address'), `pays the same script as allowlist.entries[${first}]`);
    }
    seen.set(scriptPubKey, i);
    return {
      address: e.address as string,
      scriptPubKey,
      label: asText(e.label, join(field, 'label'), 200),
      addedAt: asInteger(e.addedAt, join(field, 'addedAt'), 0, Number.MAX_SAFE_INTEGER),
    };
  });
  return {
    enforced: asBoolean(o.enforced, 'allowlist.enforced'),
    coolingSeconds: asInteger(o.coolingSeconds, 'allowlist.coolingSeconds', 0, MAX_COOLING_SECONDS),
    entries,
  };
}

/** A relative path inside the policy's folder: no absolute paths, no "..", no surprises. */
export function checkDenylistPath(value: unknown, field = 'screening.denylistFile'): string {
  if (
    typeof value !== 'string' ||
    value.length > 255 ||
    !/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(value)
  ) {
    throw policyInvalid(field, 'must be a relative path inside the policy folder, such as "denylist.txt"');
  }
  return value;
}

/**
 * The denylist: one address per line; "#" starts a comment; blank lines are skipped. Every
 * address must be valid for the policy network and is kept as its scriptPubKey.
 */
export function parseDenylist(text: string, network: NetworkName): DenylistEntry[] {
  const entries: DenylistEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const address = (raw.split('#', 1)[0] ?? '').trim();
    if (address === '') continue;
    const field = `denylist line ${i + 1}`;
    if (entries.length === MAX_DENYLIST_ENTRIES) {
      throw policyInvalid(field, `is past the bound of ${MAX_DENYLIST_ENTRIES} addresses`);
    }
    entries.push({ address, scriptPubKey: scriptHex(address, network, field), line: i + 1 });
  }
  return entries;
}

function parseScreening(
  value: unknown,
  network: NetworkName,
  denylist: string | Uint8Array | undefined,
): Screening {
  const o = asObject(value, 'screening', ['denylistFile', 'denylistSha256']);
  const denylistFile = checkDenylistPath(o.denylistFile);
  const denylistSha256 = asHex32(o.denylistSha256, 'screening.denylistSha256');
  if (denylist === undefined) {
    // Evaluating without the list would skip screening silently: fail closed.
    throw policyInvalid(
      'screening.denylistFile',
      'was not supplied; a screened policy is never read without it',
    );
  }
  const bytes = typeof denylist === 'string' ? new TextEncoder().encode(denylist) : denylist;
  const actual = bytesToHex(sha256(bytes));
  if (actual !== denylistSha256) {
    throw new KuraError(
      'POLICY_HASH_MISMATCH',
      `"screening.denylistSha256" pins ${denylistSha256}, but ${denylistFile} hashes to ${actual}`,
      { field: 'screening.denylistSha256', expected: denylistSha256, actual },
    );
  }
  const text = typeof denylist === 'string' ? denylist : decodeUtf8(denylist, 'screening.denylistFile');
  return { denylistFile, denylistSha256, entries: parseDenylist(text, network) };
}

function parseFees(value: unknown): FeeCaps {
  const o = asObject(value, 'fees', ['maxFeeRateSatVb', 'maxFeeSat', 'maxFeePercent']);
  return {
    maxFeeRateSatVb: asInteger(o.maxFeeRateSatVb, 'fees.maxFeeRateSatVb', 1, MAX_FEE_RATE_CAP_SAT_VB),
    maxFeeSat: parseAmountSat(o.maxFeeSat, 'fees.maxFeeSat'),
    maxFeeBasisPoints: asPercentBasisPoints(o.maxFeePercent, 'fees.maxFeePercent'),
    maxFeePercent: o.maxFeePercent as number,
  };
}

function parseKind(o: JsonObject): void {
  if (o.kind !== POLICY_KIND) {
    throw policyInvalid('kind', `must be "${POLICY_KIND}", got ${JSON.stringify(o.kind) ?? 'nothing'}`);
  }
  if (o.version !== POLICY_VERSION) {
    throw policyInvalid(
      'version',
      `must be ${POLICY_VERSION}, got ${JSON.stringify(o.version) ?? 'nothing'}`,
    );
  }
}

/**
 * Parses and checks a policy file. `denylist` is the content of the file named by
 * `screening.denylistFile` (bytes, or text hashed as UTF-8); it is required when the policy has
 * `screening`, and its SHA-256 must equal the pinned one (POLICY_HASH_MISMATCH otherwise).
 */
export function parsePolicy(bytes: Uint8Array, denylist?: string | Uint8Array): Policy {
  const o = asObject(parseStrictJson(bytes, 'policy'), '', TOP_FIELDS);
  parseKind(o);
  const network = parseNetwork(o.network);
  const officers = parseOfficers(o.officers);
  const policy: Policy = {
    kind: POLICY_KIND,
    version: POLICY_VERSION,
    description: o.description === undefined ? null : asText(o.description, 'description', 1000),
    network,
    walletId: asHex32(o.walletId, 'walletId'),
    officers,
    tiers: parseTiers(o.tiers, officers),
    limits: parseLimits(o.limits),
    allowlist: parseAllowlist(o.allowlist, network),
    screening: o.screening === undefined ? null : parseScreening(o.screening, network, denylist),
    fees: parseFees(o.fees),
    approvalExpirySeconds: asInteger(
      o.approvalExpirySeconds,
      'approvalExpirySeconds',
      MIN_APPROVAL_EXPIRY_SECONDS,
      MAX_APPROVAL_EXPIRY_SECONDS,
    ),
  };
  const denied = new Set(policy.screening?.entries.map((e) => e.scriptPubKey));
  policy.allowlist.entries.forEach((entry, i) => {
    if (denied.has(entry.scriptPubKey)) {
      throw policyInvalid(
        `allowlist.entries[${i}].address`,
        'is on the screening denylist; remove one of them',
      );
    }
  });
  return policy;
}
