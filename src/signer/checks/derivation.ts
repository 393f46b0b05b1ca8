// Where a PSBT says a script comes from: its BIP-32 derivation entries, matched against the
// registered wallet's keys by fingerprint and origin path. The answer is only a claim; callers
// re-derive the script from the wallet at that (branch, index) and compare.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Bip32Derivation } from 'bip174';
import type { MultisigWallet } from '../../bitcoin/descriptor.js';
import { HARDENED } from '../../bitcoin/keyExpression.js';

export interface ClaimedPosition {
  readonly branch: number;
  readonly index: number;
  /** Whether every derivation entry agreed on the same (branch, index). */
  readonly consistent: boolean;
}

/** The (branch, index) claimed by entries that name one of the wallet's keys; undefined if none do. */
export function claimedPosition(
  wallet: MultisigWallet,
  derivations: readonly Bip32Derivation[] | undefined,
): ClaimedPosition | undefined {
  let claim: { branch: number; index: number } | undefined;
  let consistent = true;
  for (const d of derivations ?? []) {
    const fingerprint = bytesToHex(d.masterFingerprint);
    const steps = parsePathString(d.path);
    if (steps === undefined) {
      consistent = false;
      continue;
    }
    const key = wallet.keys.find(
      (k) =>
        k.origin.fingerprint === fingerprint &&
        steps.length === k.origin.path.length + 2 &&
        k.origin.path.every((s, i) => steps[i] === s),
    );
    if (key === undefined) continue;
    const branch = steps[steps.length - 2] as number;
    const index = steps[steps.length - 1] as number;
    if (claim === undefined) claim = { branch, index };
    else if (claim.branch !== branch || claim.index !== index) consistent = false;
  }
  return claim === undefined ? undefined : { ...claim, consistent };
}

/** bip174 gives paths as strings like m/48'/1'/0'/2'/0/5. */
function parsePathString(path: string): number[] | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'm') return undefined;
  const steps: number[] = [];
  for (const part of parts.slice(1)) {
    const match = /^(\d{1,10})(['h]?)$/.exec(part);
    const n = match ? Number(match[1]) : NaN;
    if (!match || n >= HARDENED) return undefined;
    steps.push(match[2] ? n + HARDENED : n);
  }
  return steps;
}

export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  const h = Buffer.from(haystack);
  return h.indexOf(Buffer.from(needle)) >= 0;
}
