// kura's proprietary PSBT fields (BIP-174 type 0xFC, identifier "kura"): the requests a batch
// pays and their approvals travel inside the standard PSBT, so any PSBT tool can still read and
// co-sign the file while a kura signer finds everything it must check. Layout: docs/psbt-package.md.
import type { Psbt } from 'bitcoinjs-lib';
import { address as bjsAddress } from 'bitcoinjs-lib';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import * as varuint from 'varuint-bitcoin';
import { KuraError } from '../errors.js';
import { networkInfo, type NetworkName } from '../bitcoin/networks.js';
import { MAX_MONEY_SAT, NETWORK_BYTE, requestBytes, type WithdrawalRequest } from '../approvals/request.js';

const PROPRIETARY = 0xfc;
const IDENTIFIER = utf8ToBytes('kura');

export const GlobalSubtype = { header: 0x00, request: 0x01, approval: 0x02, receipt: 0x10 } as const;
export const OutputSubtype = { requestId: 0x00 } as const;

export type PackagePurpose = 'withdrawal' | 'reserves';

export interface PackageHeader {
  readonly version: 1;
  readonly purpose: PackagePurpose;
  readonly batchId: string;
  readonly walletId: string;
  readonly policyHash: string;
  /** Set on a fee bump: the txid of the transaction it replaces, paying the same requests. */
  readonly bumps?: string;
}

export interface PackagedApproval {
  readonly requestId: string;
  readonly officerPublicKey: string; // x-only hex
  readonly approvedAt: number;
  readonly signature: string; // 64-byte hex
}

export interface SigningPackage {
  readonly header: PackageHeader;
  readonly requests: ReadonlyMap<string, WithdrawalRequest>;
  readonly approvals: readonly PackagedApproval[];
  /** Per output: the request id it pays, if tagged. */
  readonly outputRequestIds: readonly (string | undefined)[];
}

function invalid(field: string, why: string): KuraError {
  return new KuraError('PACKAGE_INVALID', `kura field "${field}" ${why}`, { field });
}

export function proprietaryKey(subtype: number, keyData: Uint8Array = new Uint8Array()): Uint8Array {
  return concatBytes(
    Uint8Array.of(PROPRIETARY),
    varuint.encode(IDENTIFIER.length).buffer,
    IDENTIFIER,
    varuint.encode(subtype).buffer,
    keyData,
  );
}

/** Splits a key into subtype and key data when it is one of kura's, else undefined. */
export function parseProprietaryKey(key: Uint8Array): { subtype: number; keyData: Uint8Array } | undefined {
  if (key[0] !== PROPRIETARY) return undefined;
  try {
    const idLength = varuint.decode(key, 1);
    const idStart = 1 + idLength.bytes;
    const id = key.subarray(idStart, idStart + Number(idLength.numberValue));
    if (id.length !== IDENTIFIER.length || !IDENTIFIER.every((b, i) => id[i] === b)) return undefined;
    const subtype = varuint.decode(key, idStart + id.length);
    return {
      subtype: Number(subtype.numberValue),
      keyData: key.subarray(idStart + id.length + subtype.bytes),
    };
  } catch {
    throw invalid('key', 'has a truncated proprietary prefix');
  }
}

function u64le(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

const NETWORK_BY_BYTE = new Map(
  Object.entries(NETWORK_BYTE).map(([name, byte]) => [byte, name as NetworkName]),
);

/** Inverse of requestBytes(); the destination address is re-derived from the script. */
export function decodeRequestBytes(bytes: Uint8Array): WithdrawalRequest {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number, at: number, field: string) => {
    if (at + n > bytes.length) throw invalid(`request.${field}`, 'is truncated');
  };
  need(65, 0, 'walletId');
  const network = NETWORK_BY_BYTE.get(bytes[64] as number);
  if (network === undefined) throw invalid('request.network', `has unknown network byte ${bytes[64]}`);
  const scriptLength = bytes[65] as number;
  need(1 + scriptLength + 8 + 32 + 8, 65, 'scriptPubKey');
  const scriptPubKey = bytes.slice(66, 66 + scriptLength);
  let at = 66 + scriptLength;
  const amountSat = view.getBigUint64(at, true);
  at += 8;
  const policyHash = bytesToHex(bytes.subarray(at, at + 32));
  at += 32;
  const expiresAt = view.getBigUint64(at, true);
  at += 8;
  if (at !== bytes.length) throw invalid('request', 'has trailing bytes');
  if (amountSat <= 0n || amountSat > MAX_MONEY_SAT) throw invalid('request.amountSat', 'is out of range');
  if (expiresAt > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('request.expiresAt', 'is out of range');
  let destination: string;
  try {
    destination = bjsAddress.fromOutputScript(scriptPubKey, networkInfo(network).bitcoinjs);
  } catch (cause) {
    throw new KuraError(
      'PACKAGE_INVALID',
      'kura field "request.scriptPubKey" is not an address script',
      {},
      cause,
    );
  }
  return {
    walletId: bytesToHex(bytes.subarray(0, 32)),
    requestId: bytesToHex(bytes.subarray(32, 64)),
    network,
    destination,
    scriptPubKey,
    amountSat,
    policyHash,
    expiresAt: Number(expiresAt),
  };
}

export interface PackageContent {
  readonly header: PackageHeader;
  readonly requests: readonly WithdrawalRequest[];
  readonly approvals: readonly PackagedApproval[];
  /** Output index → request id. */
  readonly outputs: ReadonlyMap<number, string>;
}

/** Writes the package fields into a PSBT (the coordinator's builder and the tests use this). */
export function writePackage(psbt: Psbt, content: PackageContent): void {
  psbt.addUnknownKeyValToGlobal({
    key: proprietaryKey(GlobalSubtype.header),
    value: utf8ToBytes(JSON.stringify(content.header)),
  });
  for (const request of content.requests) {
    psbt.addUnknownKeyValToGlobal({
      key: proprietaryKey(GlobalSubtype.request, hexToBytes(request.requestId)),
      value: requestBytes(request),
    });
  }
  for (const approval of content.approvals) {
    psbt.addUnknownKeyValToGlobal({
      key: proprietaryKey(
        GlobalSubtype.approval,
        concatBytes(hexToBytes(approval.requestId), hexToBytes(approval.officerPublicKey)),
      ),
      value: concatBytes(u64le(approval.approvedAt), hexToBytes(approval.signature)),
    });
  }
  for (const [index, requestId] of content.outputs) {
    psbt.addUnknownKeyValToOutput(index, {
      key: proprietaryKey(OutputSubtype.requestId),
      value: hexToBytes(requestId),
    });
  }
}

function parseHeader(value: Uint8Array): PackageHeader {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch (cause) {
    throw new KuraError('PACKAGE_INVALID', 'kura field "header" is not JSON', { field: 'header' }, cause);
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (o.version !== 1) throw invalid('header.version', 'must be 1');
  if (o.purpose !== 'withdrawal' && o.purpose !== 'reserves') throw invalid('header.purpose', 'is unknown');
  for (const f of ['walletId', 'policyHash'] as const) {
    if (typeof o[f] !== 'string' || !/^[0-9a-f]{64}$/.test(o[f] as string))
      throw invalid(`header.${f}`, 'must be 32 bytes of hex');
  }
  if (typeof o.batchId !== 'string' || !/^[0-9a-zA-Z_-]{1,64}$/.test(o.batchId)) {
    throw invalid('header.batchId', 'must be 1–64 letters, digits, - or _');
  }
  if (o.bumps !== undefined && (typeof o.bumps !== 'string' || !/^[0-9a-f]{64}$/.test(o.bumps))) {
    throw invalid('header.bumps', 'must be the txid (64 hex) of the transaction it replaces');
  }
  return {
    version: 1,
    purpose: o.purpose,
    batchId: o.batchId,
    walletId: o.walletId as string,
    policyHash: o.policyHash as string,
    ...(o.bumps === undefined ? {} : { bumps: o.bumps as string }),
  };
}

/** Reads the package; every kura field is checked, unknown fields are left alone. */
export function readPackage(psbt: Psbt): SigningPackage {
  let header: PackageHeader | undefined;
  const requests = new Map<string, WithdrawalRequest>();
  const approvals: PackagedApproval[] = [];
  for (const { key, value } of psbt.data.globalMap.unknownKeyVals ?? []) {
    const parsed = parseProprietaryKey(key);
    if (parsed === undefined) continue;
    const { subtype, keyData } = parsed;
    if (subtype === GlobalSubtype.header) {
      header = parseHeader(value);
    } else if (subtype === GlobalSubtype.request) {
      const request = decodeRequestBytes(value);
      if (keyData.length !== 32 || bytesToHex(keyData) !== request.requestId) {
        throw invalid('request', 'key does not name the request it holds');
      }
      requests.set(request.requestId, request);
    } else if (subtype === GlobalSubtype.approval) {
      if (keyData.length !== 64 || value.length !== 72) throw invalid('approval', 'has the wrong length');
      approvals.push({
        requestId: bytesToHex(keyData.subarray(0, 32)),
        officerPublicKey: bytesToHex(keyData.subarray(32)),
        approvedAt: Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true)),
        signature: bytesToHex(value.subarray(8)),
      });
    }
  }
  if (header === undefined) throw invalid('header', 'is missing: this PSBT is not a kura signing package');
  const outputRequestIds = psbt.data.outputs.map((output, index) => {
    const tags = (output.unknownKeyVals ?? []).filter(
      (kv) => parseProprietaryKey(kv.key)?.subtype === OutputSubtype.requestId,
    );
    if (tags.length === 0) return undefined;
    const value = tags[0]?.value;
    if (value === undefined || value.length !== 32)
      throw invalid(`outputs[${index}].requestId`, 'must be 32 bytes');
    return bytesToHex(value);
  });
  return { header, requests, approvals, outputRequestIds };
}
