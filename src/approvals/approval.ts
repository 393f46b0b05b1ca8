// An officer's approval: a BIP-340 Schnorr signature over approvalHash(request, approvedAt), the
// tagged hash of the request's fixed binary fields and the approval time (./request.ts). Because
// every field of the request is in the signed bytes, an approval can never count for another
// request, amount, destination, network, wallet, policy or expiry. Layout and vectors:
// docs/approvals.md. Pure: the clock is passed in as `approvedAt`.
import { randomBytes } from 'node:crypto';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { ecc } from '../bitcoin/ecc.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { isXOnlyPublicKey, officerPublicKey } from './officerKey.js';
import { approvalHash, MAX_MONEY_SAT, parseHex32, requestDigest, type WithdrawalRequest } from './request.js';

export const APPROVAL_KIND = 'kura-approval';
export const APPROVAL_VERSION = 1;

/** The approval file, field for field (docs/approvals.md). */
export interface Approval {
  readonly kind: typeof APPROVAL_KIND;
  readonly version: typeof APPROVAL_VERSION;
  readonly walletId: string; // 32-byte hex
  readonly requestId: string; // 32-byte hex
  /** requestDigest(request): names the content approved, so a mismatch can say so plainly. */
  readonly requestDigest: string; // 32-byte hex
  readonly officerPublicKey: string; // BIP-340 x-only, 32-byte hex
  readonly approvedAt: number; // unix seconds
  readonly signature: string; // BIP-340, 64-byte hex
}

export interface VerifiedApproval {
  readonly officerPublicKey: string;
  readonly approvedAt: number;
}

const FIELDS = [
  'kind',
  'version',
  'walletId',
  'requestId',
  'requestDigest',
  'officerPublicKey',
  'approvedAt',
  'signature',
] as const;

function invalid(field: string, why: string): KuraError {
  return new KuraError('APPROVAL_INVALID', `approval "${field}" ${why}`, { field });
}

function checkApprovedAt(value: unknown, code: 'APPROVAL_INVALID' | 'ARGUMENT_INVALID'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new KuraError(code, `approval "approvedAt" must be a non-negative integer of unix seconds`, {
      field: 'approvedAt',
    });
  }
  return value;
}

/**
 * An approval made at or after the request's expiry is refused: the request's `expiresAt` is
 * the first second at which it no longer counts.
 */
export function checkNotExpired(request: WithdrawalRequest, at: number): void {
  if (at >= request.expiresAt) {
    throw new KuraError(
      'APPROVAL_EXPIRED',
      `request "expiresAt" ${request.expiresAt} is not after the approval time ${at}`,
      { field: 'expiresAt', expiresAt: request.expiresAt, at },
    );
  }
}

/**
 * Signs an approval of `request` at `approvedAt` (unix seconds) with an officer's private key.
 * `auxRand` is BIP-340's auxiliary randomness: 32 fresh random bytes unless given (tests and
 * the published vectors fix it). The signature is verified before it is returned.
 */
export function signApproval(
  request: WithdrawalRequest,
  privateKey: Uint8Array,
  approvedAt: number,
  auxRand: Uint8Array = randomBytes(32),
): Approval {
  checkApprovedAt(approvedAt, 'ARGUMENT_INVALID');
  if (auxRand.length !== 32) {
    throw new KuraError('ARGUMENT_INVALID', '"auxRand" must be 32 bytes', { field: 'auxRand' });
  }
  checkNotExpired(request, approvedAt);
  const publicKey = officerPublicKey(privateKey);
  const hash = approvalHash(request, approvedAt);
  const signature = ecc.signSchnorr(hash, privateKey, auxRand);
  // A signature that does not verify would be refused later anyway; a faulty curve library or a
  // glitch while signing is better caught here, before the file leaves the officer.
  if (!ecc.verifySchnorr(hash, hexToBytes(publicKey), signature)) {
    throw new KuraError('INTERNAL', 'the new approval signature does not verify');
  }
  return {
    kind: APPROVAL_KIND,
    version: APPROVAL_VERSION,
    walletId: request.walletId,
    requestId: request.requestId,
    requestDigest: requestDigest(request),
    officerPublicKey: publicKey,
    approvedAt,
    signature: bytesToHex(signature),
  };
}

/** Checks the shape of an approval file; every refusal is APPROVAL_INVALID and names the field. */
export function parseApproval(json: unknown): Approval {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('(file)', 'must be an object');
  }
  const o = json as Record<string, unknown>;
  if (o.kind !== APPROVAL_KIND) {
    throw invalid('kind', `must be "${APPROVAL_KIND}", got ${JSON.stringify(o.kind) ?? 'nothing'}`);
  }
  if (o.version !== APPROVAL_VERSION) throw invalid('version', `must be ${APPROVAL_VERSION}`);
  // Nothing rides along unsigned: a field kura does not know could only mislead a reader.
  const unknown = Object.keys(o).find((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown !== undefined) throw invalid(unknown, 'is not a field of an approval');
  const officerKey = parseHex32(o.officerPublicKey, 'officerPublicKey', 'APPROVAL_INVALID');
  if (!isXOnlyPublicKey(hexToBytes(officerKey)))
    throw invalid('officerPublicKey', 'is not a point on secp256k1');
  if (typeof o.signature !== 'string' || !/^[0-9a-f]{128}$/.test(o.signature)) {
    throw invalid('signature', 'must be 64 bytes of lowercase hex');
  }
  return {
    kind: APPROVAL_KIND,
    version: APPROVAL_VERSION,
    walletId: parseHex32(o.walletId, 'walletId', 'APPROVAL_INVALID'),
    requestId: parseHex32(o.requestId, 'requestId', 'APPROVAL_INVALID'),
    requestDigest: parseHex32(o.requestDigest, 'requestDigest', 'APPROVAL_INVALID'),
    officerPublicKey: officerKey,
    approvedAt: checkApprovedAt(o.approvedAt, 'APPROVAL_INVALID'),
    signature: o.signature,
  };
}

/**
 * Verifies that `approval` approves exactly `request`. APPROVAL_MISMATCH names the first of
 * walletId, requestId or requestDigest that differs (the digest catches another amount,
 * destination, network, policy or expiry); APPROVAL_EXPIRED when it was made at or after the
 * request's expiry; APPROVAL_SIGNATURE_INVALID when the signature does not verify for its
 * officer key. Whether that key is an officer of the policy is the policy's question.
 */
export function verifyApproval(approval: Approval, request: WithdrawalRequest): VerifiedApproval {
  for (const field of ['walletId', 'requestId'] as const) {
    if (approval[field] !== request[field]) {
      throw new KuraError('APPROVAL_MISMATCH', `approval "${field}" is not the request's ${field}`, {
        field,
        approval: approval[field],
        request: request[field],
      });
    }
  }
  const digest = requestDigest(request);
  if (approval.requestDigest !== digest) {
    throw new KuraError(
      'APPROVAL_MISMATCH',
      'approval "requestDigest" differs: it approved another amount, destination, network, policy or expiry',
      { field: 'requestDigest', approval: approval.requestDigest, request: digest },
    );
  }
  checkNotExpired(request, approval.approvedAt);
  let valid: boolean;
  try {
    valid = ecc.verifySchnorr(
      approvalHash(request, approval.approvedAt),
      hexToBytes(approval.officerPublicKey),
      hexToBytes(approval.signature),
    );
  } catch {
    // tiny-secp256k1 throws on a key off the curve or a signature half ≥ the group order.
    valid = false;
  }
  if (!valid) {
    throw new KuraError(
      'APPROVAL_SIGNATURE_INVALID',
      `approval "signature" does not verify for officer key ${approval.officerPublicKey}`,
      { field: 'signature', officerPublicKey: approval.officerPublicKey },
    );
  }
  return { officerPublicKey: approval.officerPublicKey, approvedAt: approval.approvedAt };
}

/** The approval file's text: pretty JSON, fields in their documented order, one final newline. */
export function approvalFileText(approval: Approval): string {
  const ordered = Object.fromEntries(FIELDS.map((f) => [f, approval[f]]));
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

const SAT_PER_BTC = 100_000_000n;

/** Sats as BTC with all 8 decimals, exactly (bigint arithmetic): 150000000n → "1.50000000". */
export function formatBtc(amountSat: bigint): string {
  if (amountSat < 0n || amountSat > MAX_MONEY_SAT) {
    throw new KuraError('AMOUNT_INVALID', `"amountSat" must be from 0 to ${MAX_MONEY_SAT}`, {
      field: 'amountSat',
    });
  }
  const whole = amountSat / SAT_PER_BTC;
  const fraction = (amountSat % SAT_PER_BTC).toString().padStart(8, '0');
  return `${whole}.${fraction}`;
}

/** Sats with thousands separators, for reading aloud: 1500000n → "1,500,000". */
export function formatSats(amountSat: bigint): string {
  return amountSat.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Unix seconds as an ISO 8601 UTC date, or a plain note when past what a Date can hold. */
export function formatUnixSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `unix ${seconds} (beyond the year 275760)` : date.toISOString();
}

/** Everything an officer must see before approving, formatted (the CLI prints it). */
export interface RequestReview {
  readonly walletId: string;
  readonly requestId: string;
  readonly network: NetworkName;
  readonly destination: string;
  readonly scriptPubKey: string;
  readonly amountSat: string;
  readonly amountBtc: string;
  readonly policyHash: string;
  readonly expiresAt: number;
  readonly expiresAtIso: string;
  readonly requestDigest: string;
}

export function reviewRequest(request: WithdrawalRequest): RequestReview {
  return {
    walletId: request.walletId,
    requestId: request.requestId,
    network: request.network,
    destination: request.destination,
    scriptPubKey: bytesToHex(request.scriptPubKey),
    amountSat: request.amountSat.toString(),
    amountBtc: formatBtc(request.amountSat),
    policyHash: request.policyHash,
    expiresAt: request.expiresAt,
    expiresAtIso: formatUnixSeconds(request.expiresAt),
    requestDigest: requestDigest(request),
  };
}

/** `<first 12 hex of requestId>.<first 8 hex of officer key>.approval.json` */
export function defaultApprovalFileName(requestId: string, officerKey: string): string {
  return `${requestId.slice(0, 12)}.${officerKey.slice(0, 8)}.approval.json`;
}
