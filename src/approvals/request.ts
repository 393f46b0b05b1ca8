// A withdrawal request: what officers approve and what a signer pays. Officers approve requests,
// not transactions (they approve before batching); the signer closes the gap by matching every
// payment output to exactly one approved request. Layout of the binary fields: docs/approvals.md.
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { networkInfo, NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';
import { outputScriptOf } from '../bitcoin/outputScript.js';
import { taggedHash } from './taggedHash.js';

export const REQUEST_KIND = 'kura-request';
export const REQUEST_VERSION = 1;
/** 21 million BTC in sats: no amount can be larger. */
export const MAX_MONEY_SAT = 2_100_000_000_000_000n;

export const REQUEST_TAG = 'kura/request/v1';
export const APPROVAL_TAG = 'kura/approval/v1';

export interface WithdrawalRequest {
  readonly walletId: string; // 32-byte hex
  readonly requestId: string; // 32-byte hex
  readonly network: NetworkName;
  readonly destination: string; // address
  readonly scriptPubKey: Uint8Array; // derived from the address, never taken from outside
  readonly amountSat: bigint;
  readonly policyHash: string; // 32-byte hex
  readonly expiresAt: number; // unix seconds
}

export const NETWORK_BYTE: Record<NetworkName, number> = { mainnet: 0, testnet: 1, signet: 2, regtest: 3 };

function bad(field: string, why: string): KuraError {
  return new KuraError('REQUEST_INVALID', `request "${field}" ${why}`, { field });
}

export function parseHex32(
  value: unknown,
  field: string,
  code: 'REQUEST_INVALID' | 'APPROVAL_INVALID' = 'REQUEST_INVALID',
): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new KuraError(code, `"${field}" must be 32 bytes of lowercase hex`, { field });
  }
  return value;
}

/** Amounts arrive as JSON integers or decimal strings; both become bigint sats in range. */
export function parseAmountSat(value: unknown, field = 'amountSat'): bigint {
  let amount: bigint | undefined;
  if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) amount = BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) amount = BigInt(value);
  if (typeof value === 'bigint') amount = value;
  if (amount === undefined || amount <= 0n || amount > MAX_MONEY_SAT) {
    throw new KuraError(
      'AMOUNT_INVALID',
      `"${field}" must be a positive integer of sats, at most ${MAX_MONEY_SAT}`,
      {
        field,
      },
    );
  }
  return amount;
}

export function unixSeconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw bad(field, 'must be a non-negative integer of unix seconds');
  }
  return value;
}

export function destinationScript(address: string, network: NetworkName, field = 'destination'): Uint8Array {
  try {
    return outputScriptOf(address, networkInfo(network).bitcoinjs);
  } catch (cause) {
    throw new KuraError('ADDRESS_INVALID', `"${field}" is not a valid ${network} address`, { field }, cause);
  }
}

export function parseRequest(json: unknown): WithdrawalRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad('(request)', 'must be an object');
  const o = json as Record<string, unknown>;
  if (o.kind !== REQUEST_KIND) throw bad('kind', `must be "${REQUEST_KIND}"`);
  if (o.version !== REQUEST_VERSION) throw bad('version', `must be ${REQUEST_VERSION}`);
  if (typeof o.network !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(o.network)) {
    throw bad('network', `must be one of ${NETWORK_NAMES.join(', ')}`);
  }
  const network = o.network as NetworkName;
  if (typeof o.destination !== 'string') throw bad('destination', 'must be an address');
  return {
    walletId: parseHex32(o.walletId, 'walletId'),
    requestId: parseHex32(o.requestId, 'requestId'),
    network,
    destination: o.destination,
    scriptPubKey: destinationScript(o.destination, network),
    amountSat: parseAmountSat(o.amountSat),
    policyHash: parseHex32(o.policyHash, 'policyHash'),
    expiresAt: unixSeconds(o.expiresAt, 'expiresAt'),
  };
}

/** The JSON form of a request file (amount as a decimal string: JSON numbers are doubles). */
export function requestToJson(request: WithdrawalRequest): Record<string, unknown> {
  return {
    kind: REQUEST_KIND,
    version: REQUEST_VERSION,
    walletId: request.walletId,
    requestId: request.requestId,
    network: request.network,
    destination: request.destination,
    amountSat: request.amountSat.toString(),
    policyHash: request.policyHash,
    expiresAt: request.expiresAt,
  };
}

function u64le(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

/**
 * The request's fixed binary fields, in this order (docs/approvals.md):
 * walletId 32 ‖ requestId 32 ‖ network 1 ‖ len(scriptPubKey) 1 ‖ scriptPubKey ‖ amountSat u64le ‖
 * policyHash 32 ‖ expiresAt u64le
 */
export function requestBytes(request: WithdrawalRequest): Uint8Array {
  if (request.scriptPubKey.length > 80) throw bad('destination', 'script is longer than 80 bytes');
  return concatBytes(
    hexToBytes(request.walletId),
    hexToBytes(request.requestId),
    Uint8Array.of(NETWORK_BYTE[request.network]),
    Uint8Array.of(request.scriptPubKey.length),
    request.scriptPubKey,
    u64le(request.amountSat),
    hexToBytes(request.policyHash),
    u64le(request.expiresAt),
  );
}

/** Tagged hash identifying the request's content. */
export function requestDigest(request: WithdrawalRequest): string {
  return bytesToHex(taggedHash(REQUEST_TAG, requestBytes(request)));
}

/** What an officer signs (BIP-340): tagged hash of the request's fields ‖ approvedAt u64le. */
export function approvalHash(request: WithdrawalRequest, approvedAt: number): Uint8Array {
  return taggedHash(APPROVAL_TAG, concatBytes(requestBytes(request), u64le(approvedAt)));
}
