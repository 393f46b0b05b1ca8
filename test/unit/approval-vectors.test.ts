// kura's own approval vectors (test/vectors/kura-approvals.json, docs/approvals.md): every field
// is recomputed from the case's inputs, once by hand from the documented layout (node:crypto
// SHA-256, @scure/btc-signer for scripts, Buffer for the integers) and once through kura's own
// functions, and every approval verifies.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as btc from '@scure/btc-signer';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { parseApproval, signApproval, verifyApproval } from '../../src/approvals/approval.js';
import {
  APPROVAL_TAG,
  approvalHash,
  parseRequest,
  REQUEST_TAG,
  requestBytes,
  requestDigest,
} from '../../src/approvals/request.js';
import { vectorJson } from '../helpers/vectors.js';

interface VectorCase {
  readonly description: string;
  readonly privateKey: string;
  readonly auxRand: string;
  readonly approvedAt: number;
  readonly request: {
    readonly walletId: string;
    readonly requestId: string;
    readonly network: 'mainnet' | 'testnet' | 'signet' | 'regtest';
    readonly destination: string;
    readonly amountSat: string;
    readonly policyHash: string;
    readonly expiresAt: number;
  };
  readonly scriptPubKey: string;
  readonly requestBytes: string;
  readonly requestDigest: string;
  readonly approvalMessage: string;
  readonly approvalHash: string;
  readonly officerPublicKey: string;
  readonly signature: string;
  readonly approval: Record<string, unknown>;
}

interface Vectors {
  readonly tags: Record<'request' | 'approval', { tag: string; sha256: string }>;
  readonly cases: readonly VectorCase[];
}

const vectors = vectorJson<Vectors>('kura-approvals.json');

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

function taggedHash(tag: string, message: Buffer): Buffer {
  const tagHash = sha256(Buffer.from(tag, 'utf8'));
  return sha256(Buffer.concat([tagHash, tagHash, message]));
}

const NETWORK_BYTE = { mainnet: 0, testnet: 1, signet: 2, regtest: 3 } as const;
const REGTEST = { ...btc.TEST_NETWORK, bech32: 'bcrt' };
const SCURE_NETWORK = {
  mainnet: btc.NETWORK,
  testnet: btc.TEST_NETWORK,
  signet: btc.TEST_NETWORK,
  regtest: REGTEST,
};

function u64le(value: bigint | number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(value));
  return out;
}

describe('kura approval vectors', () => {
  it('name the two tags and their SHA-256', () => {
    expect(vectors.tags.request.tag).toBe(REQUEST_TAG);
    expect(vectors.tags.approval.tag).toBe(APPROVAL_TAG);
    for (const { tag, sha256: hash } of Object.values(vectors.tags)) {
      expect(sha256(Buffer.from(tag, 'utf8')).toString('hex')).toBe(hash);
    }
  });

  it('cover every network byte, several script types and the amount bounds', () => {
    const networks = new Set(vectors.cases.map((c) => c.request.network));
    expect(networks).toEqual(new Set(['mainnet', 'signet', 'regtest']));
    const prefixes = new Set(vectors.cases.map((c) => c.scriptPubKey.slice(0, 4)));
    expect(prefixes.size).toBeGreaterThanOrEqual(4); // P2WPKH, P2WSH, P2PKH, P2SH
    const amounts = vectors.cases.map((c) => c.request.amountSat);
    expect(amounts).toContain('1');
    expect(amounts).toContain('2100000000000000');
  });

  describe.each(vectors.cases.map((c) => [c.description, c] as const))('%s', (_, v) => {
    const request = parseRequest({ kind: 'kura-request', version: 1, ...v.request });

    it('scriptPubKey: the destination decoded by an independent library', () => {
      const script = btc.OutScript.encode(
        btc.Address(SCURE_NETWORK[v.request.network]).decode(v.request.destination),
      );
      expect(bytesToHex(script)).toBe(v.scriptPubKey);
      expect(bytesToHex(request.scriptPubKey)).toBe(v.scriptPubKey);
    });

    it('requestBytes: the documented layout, by hand', () => {
      const script = Buffer.from(v.scriptPubKey, 'hex');
      const byHand = Buffer.concat([
        Buffer.from(v.request.walletId, 'hex'),
        Buffer.from(v.request.requestId, 'hex'),
        Buffer.of(NETWORK_BYTE[v.request.network]),
        Buffer.of(script.length),
        script,
        u64le(BigInt(v.request.amountSat)),
        Buffer.from(v.request.policyHash, 'hex'),
        u64le(v.request.expiresAt),
      ]);
      expect(byHand.toString('hex')).toBe(v.requestBytes);
      expect(bytesToHex(requestBytes(request))).toBe(v.requestBytes);
    });

    it('requestDigest, approvalMessage and approvalHash: tagged hashes, by hand', () => {
      const bytes = Buffer.from(v.requestBytes, 'hex');
      expect(taggedHash(REQUEST_TAG, bytes).toString('hex')).toBe(v.requestDigest);
      expect(requestDigest(request)).toBe(v.requestDigest);
      const message = Buffer.concat([bytes, u64le(v.approvedAt)]);
      expect(message.toString('hex')).toBe(v.approvalMessage);
      expect(taggedHash(APPROVAL_TAG, message).toString('hex')).toBe(v.approvalHash);
      expect(bytesToHex(approvalHash(request, v.approvedAt))).toBe(v.approvalHash);
    });

    it('officerPublicKey and signature: BIP-340 with the fixed aux_rand', () => {
      const key = hexToBytes(v.privateKey);
      expect(bytesToHex(btc.utils.pubSchnorr(key))).toBe(v.officerPublicKey);
      expect(bytesToHex(ecc.xOnlyPointFromScalar(key))).toBe(v.officerPublicKey);
      const signature = ecc.signSchnorr(hexToBytes(v.approvalHash), key, hexToBytes(v.auxRand));
      expect(bytesToHex(signature)).toBe(v.signature);
      expect(ecc.verifySchnorr(hexToBytes(v.approvalHash), hexToBytes(v.officerPublicKey), signature)).toBe(
        true,
      );
    });

    it('approval: signApproval gives the file, and the file verifies for the request', () => {
      expect(signApproval(request, hexToBytes(v.privateKey), v.approvedAt, hexToBytes(v.auxRand))).toEqual(
        v.approval,
      );
      expect(v.approval).toMatchObject({
        walletId: v.request.walletId,
        requestId: v.request.requestId,
        requestDigest: v.requestDigest,
        officerPublicKey: v.officerPublicKey,
        approvedAt: v.approvedAt,
        signature: v.signature,
      });
      expect(verifyApproval(parseApproval(v.approval), request)).toEqual({
        officerPublicKey: v.officerPublicKey,
        approvedAt: v.approvedAt,
      });
    });
  });
});
