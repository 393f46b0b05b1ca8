// The policy of a kura wallet as the rest of kura sees it: validated once by parsePolicy
// (schema.ts), then trusted. Amounts are bigint sats; times are unix seconds; addresses carry the
// scriptPubKey they were checked to be, and are compared by it (never by text).
import type { NetworkName } from '../bitcoin/networks.js';

export const POLICY_KIND = 'kura-policy';
export const POLICY_VERSION = 1;

export interface Officer {
  /** Unique, stable name of the person, e.g. "ops-alice". */
  readonly id: string;
  /** What the person is for, e.g. "operations", "security"; tiers require roles. */
  readonly role: string;
  /** x-only BIP-340 public key, 32 bytes of lowercase hex. Unique among officers. */
  readonly publicKey: string;
}

export interface Tier {
  /** The tier applies to amounts up to and including this many sats. */
  readonly upToSat: bigint;
  /** Distinct officers that must approve. */
  readonly approvals: number;
  /** Roles that must be among the approving officers (each by a different officer). */
  readonly requiredRoles: readonly string[];
  /** Seconds to wait after the last approval before the withdrawal may be signed. */
  readonly delaySeconds: number;
}

export interface Limits {
  readonly perWithdrawalSat: bigint;
  readonly rolling24h: { readonly amountSat: bigint; readonly count: number };
}

export interface AllowlistEntry {
  readonly address: string;
  /** The address's scriptPubKey, lowercase hex: what comparisons use. */
  readonly scriptPubKey: string;
  readonly label: string;
  /** When the entry was added (unix seconds); it is usable from addedAt + coolingSeconds. */
  readonly addedAt: number;
}

export interface Allowlist {
  /** When false, destinations need not be on the list (the denylist still applies). */
  readonly enforced: boolean;
  readonly coolingSeconds: number;
  readonly entries: readonly AllowlistEntry[];
}

export interface DenylistEntry {
  readonly address: string;
  readonly scriptPubKey: string;
  /** 1-based line of the denylist file, for messages. */
  readonly line: number;
}

export interface Screening {
  /** Path of the denylist file, relative to the policy file's folder. */
  readonly denylistFile: string;
  /** SHA-256 of the denylist file's exact bytes (lowercase hex). */
  readonly denylistSha256: string;
  readonly entries: readonly DenylistEntry[];
}

export interface FeeCaps {
  /** Whole sats per virtual byte. */
  readonly maxFeeRateSatVb: number;
  readonly maxFeeSat: bigint;
  /** As written in the file (at most two decimals), for display. */
  readonly maxFeePercent: number;
  /** The same cap in hundredths of a percent, for exact arithmetic. */
  readonly maxFeeBasisPoints: bigint;
}

export interface Policy {
  readonly kind: typeof POLICY_KIND;
  readonly version: typeof POLICY_VERSION;
  readonly description: string | null;
  readonly network: NetworkName;
  /** Id of the wallet the policy governs (SHA-256 of its descriptor, hex). */
  readonly walletId: string;
  readonly officers: readonly Officer[];
  /** Ascending by upToSat; the first tier whose upToSat covers the amount applies. */
  readonly tiers: readonly Tier[];
  readonly limits: Limits;
  readonly allowlist: Allowlist;
  /** null when the policy screens nothing (the field is absent from the file). */
  readonly screening: Screening | null;
  readonly fees: FeeCaps;
  /** An approval counts for this many seconds after its approvedAt. */
  readonly approvalExpirySeconds: number;
}
