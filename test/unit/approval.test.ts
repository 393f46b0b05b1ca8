// Approvals (src/approvals/approval.ts): an approval counts for exactly the request it signed.
// Every field of the request changed after approval, another officer's key, a malformed file,
// and any single changed byte are refused with their codes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import {
  approvalFileText,
  defaultApprovalFileName,
  formatBtc,
  formatSats,
  formatUnixSeconds,
  parseApproval,
  reviewRequest,
  signApproval,
  verifyApproval,
  type Approval,
} from '../../src/approvals/approval.js';
import {
  approvalHash,
  destinationScript,
  MAX_MONEY_SAT,
  parseRequest,
  requestDigest,
  type WithdrawalRequest,
} from '../../src/approvals/request.js';

// Public test scalars: officer keys anyone can sign with. Tests only.
const ALICE = hexToBytes('00'.repeat(31) + '01');
const BOB = hexToBytes('00'.repeat(31) + '02');
const AUX = hexToBytes('00'.repeat(32));
const APPROVED_AT = 1_700_000_000;

const REQUEST_JSON = {
  kind: 'kura-request',
  version: 1,
  walletId: 'a1'.repeat(32),
  requestId: 'b2'.repeat(32),
  network: 'regtest',
  destination: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
  amountSat: '1500000',
  policyHash: 'c3'.repeat(32),
  expiresAt: APPROVED_AT + 86_400,
};
const REQUEST = parseRequest(REQUEST_JSON);
const APPROVAL = signApproval(REQUEST, ALICE, APPROVED_AT, AUX);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** Parses the approval from its file text and verifies it: the whole path a reader takes. */
function check(text: string, request: WithdrawalRequest = REQUEST): string | undefined {
  const json: unknown = JSON.parse(text); // a SyntaxError here is for the caller
  return codeOf(() => verifyApproval(parseApproval(json), request));
}

describe('signApproval and verifyApproval', () => {
  it('signs a file of the documented shape that verifies for its request', () => {
    expect(Object.keys(APPROVAL)).toEqual([
      'kind',
      'version',
      'walletId',
      'requestId',
      'requestDigest',
      'officerPublicKey',
      'approvedAt',
      'signature',
    ]);
    expect(APPROVAL).toMatchObject({
      kind: 'kura-approval',
      version: 1,
      walletId: REQUEST.walletId,
      requestId: REQUEST.requestId,
      requestDigest: requestDigest(REQUEST),
      // x-only public key of the scalar 1: the x coordinate of the generator G
      officerPublicKey: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
      approvedAt: APPROVED_AT,
    });
    expect(APPROVAL.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(verifyApproval(APPROVAL, REQUEST)).toEqual({
      officerPublicKey: APPROVAL.officerPublicKey,
      approvedAt: APPROVED_AT,
    });
  });

  it('is deterministic for fixed aux_rand, and uses fresh aux_rand by default', () => {
    expect(signApproval(REQUEST, ALICE, APPROVED_AT, AUX)).toEqual(APPROVAL);
    const a = signApproval(REQUEST, ALICE, APPROVED_AT);
    const b = signApproval(REQUEST, ALICE, APPROVED_AT);
    expect(a.signature).not.toBe(b.signature);
    expect(verifyApproval(a, REQUEST).officerPublicKey).toBe(APPROVAL.officerPublicKey);
    expect(verifyApproval(b, REQUEST).officerPublicKey).toBe(APPROVAL.officerPublicKey);
  });

  it('refuses to sign with an invalid private key, approval time or aux_rand', () => {
    expect(codeOf(() => signApproval(REQUEST, new Uint8Array(32), APPROVED_AT))).toBe('ARGUMENT_INVALID');
    const order = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    expect(codeOf(() => signApproval(REQUEST, order, APPROVED_AT))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => signApproval(REQUEST, ALICE, -1))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => signApproval(REQUEST, ALICE, 1.5))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => signApproval(REQUEST, ALICE, APPROVED_AT, new Uint8Array(31)))).toBe(
      'ARGUMENT_INVALID',
    );
  });

  it('refuses to sign or count an approval made at or after the request expired', () => {
    expect(codeOf(() => signApproval(REQUEST, ALICE, REQUEST.expiresAt))).toBe('APPROVAL_EXPIRED');
    expect(codeOf(() => signApproval(REQUEST, ALICE, REQUEST.expiresAt - 1))).toBeUndefined();
    // Signed by other software after expiry: the signature is good, the approval still does not count.
    const signature = ecc.signSchnorr(approvalHash(REQUEST, REQUEST.expiresAt), ALICE, AUX);
    const late: Approval = { ...APPROVAL, approvedAt: REQUEST.expiresAt, signature: bytesToHex(signature) };
    expect(codeOf(() => verifyApproval(late, REQUEST))).toBe('APPROVAL_EXPIRED');
  });
});

describe('a request changed after approval is refused', () => {
  const otherAddress = 'bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry';
  const changes: { field: string; change: (r: WithdrawalRequest) => WithdrawalRequest; code: string }[] = [
    { field: 'walletId', change: (r) => ({ ...r, walletId: '44'.repeat(32) }), code: 'APPROVAL_MISMATCH' },
    { field: 'requestId', change: (r) => ({ ...r, requestId: '55'.repeat(32) }), code: 'APPROVAL_MISMATCH' },
    // The same script on another network: only the network byte differs.
    { field: 'network', change: (r) => ({ ...r, network: 'testnet' }), code: 'APPROVAL_MISMATCH' },
    {
      field: 'destination',
      change: (r) => ({
        ...r,
        destination: otherAddress,
        scriptPubKey: destinationScript(otherAddress, 'regtest'),
      }),
      code: 'APPROVAL_MISMATCH',
    },
    { field: 'amountSat', change: (r) => ({ ...r, amountSat: r.amountSat + 1n }), code: 'APPROVAL_MISMATCH' },
    {
      field: 'policyHash',
      change: (r) => ({ ...r, policyHash: '66'.repeat(32) }),
      code: 'APPROVAL_MISMATCH',
    },
    { field: 'expiresAt', change: (r) => ({ ...r, expiresAt: r.expiresAt + 1 }), code: 'APPROVAL_MISMATCH' },
  ];

  it.each(changes)('$field changed: $code', ({ change, code }) => {
    expect(codeOf(() => verifyApproval(APPROVAL, change(REQUEST)))).toBe(code);
  });

  it.each(changes)(
    '$field changed and the approval edited to name the new request: APPROVAL_SIGNATURE_INVALID',
    ({ change }) => {
      const changed = change(REQUEST);
      const edited: Approval = {
        ...APPROVAL,
        walletId: changed.walletId,
        requestId: changed.requestId,
        requestDigest: requestDigest(changed),
      };
      expect(codeOf(() => verifyApproval(edited, changed))).toBe('APPROVAL_SIGNATURE_INVALID');
    },
  );

  it('the approval time changed: APPROVAL_SIGNATURE_INVALID', () => {
    expect(codeOf(() => verifyApproval({ ...APPROVAL, approvedAt: APPROVED_AT - 1 }, REQUEST))).toBe(
      'APPROVAL_SIGNATURE_INVALID',
    );
  });
});

describe('officer keys', () => {
  const bobs = signApproval(REQUEST, BOB, APPROVED_AT, AUX);

  it("another officer's key substituted in the approval: APPROVAL_SIGNATURE_INVALID", () => {
    expect(bobs.officerPublicKey).not.toBe(APPROVAL.officerPublicKey);
    const substituted = { ...APPROVAL, officerPublicKey: bobs.officerPublicKey };
    expect(codeOf(() => verifyApproval(substituted, REQUEST))).toBe('APPROVAL_SIGNATURE_INVALID');
  });

  it("another officer's signature under this officer's key: APPROVAL_SIGNATURE_INVALID", () => {
    expect(codeOf(() => verifyApproval({ ...APPROVAL, signature: bobs.signature }, REQUEST))).toBe(
      'APPROVAL_SIGNATURE_INVALID',
    );
  });

  it("another request's signature: APPROVAL_SIGNATURE_INVALID", () => {
    const other = signApproval({ ...REQUEST, amountSat: 1n }, ALICE, APPROVED_AT, AUX);
    expect(codeOf(() => verifyApproval({ ...APPROVAL, signature: other.signature }, REQUEST))).toBe(
      'APPROVAL_SIGNATURE_INVALID',
    );
  });

  it('a signature half at or above the group order: APPROVAL_SIGNATURE_INVALID', () => {
    const order = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
    const highS = { ...APPROVAL, signature: APPROVAL.signature.slice(0, 64) + order };
    expect(codeOf(() => verifyApproval(highS, REQUEST))).toBe('APPROVAL_SIGNATURE_INVALID');
  });
});

describe('parseApproval', () => {
  const valid = JSON.parse(approvalFileText(APPROVAL)) as Record<string, unknown>;
  const without = (field: string) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field));
  const fixtures = {
    valid: [
      { description: 'a signed approval', input: valid },
      { description: 'approvedAt 0', input: { ...valid, approvedAt: 0 } },
    ],
    invalid: [
      { description: 'not an object', input: [valid], code: 'APPROVAL_INVALID' },
      { description: 'null', input: null, code: 'APPROVAL_INVALID' },
      { description: 'another kind', input: { ...valid, kind: 'kura-request' }, code: 'APPROVAL_INVALID' },
      { description: 'no kind', input: without('kind'), code: 'APPROVAL_INVALID' },
      { description: 'version 2', input: { ...valid, version: 2 }, code: 'APPROVAL_INVALID' },
      { description: 'version as a string', input: { ...valid, version: '1' }, code: 'APPROVAL_INVALID' },
      { description: 'an unknown field', input: { ...valid, amountSat: '1' }, code: 'APPROVAL_INVALID' },
      ...['walletId', 'requestId', 'requestDigest', 'officerPublicKey', 'approvedAt', 'signature'].map(
        (field) => ({ description: `no ${field}`, input: without(field), code: 'APPROVAL_INVALID' }),
      ),
      ...['walletId', 'requestId', 'requestDigest', 'officerPublicKey'].flatMap((field) => [
        {
          description: `${field} too short`,
          input: { ...valid, [field]: 'ab'.repeat(31) },
          code: 'APPROVAL_INVALID',
        },
        {
          description: `${field} in uppercase`,
          input: { ...valid, [field]: (valid[field] as string).toUpperCase() },
          code: 'APPROVAL_INVALID',
        },
        {
          description: `${field} not hex`,
          input: { ...valid, [field]: 'zz'.repeat(32) },
          code: 'APPROVAL_INVALID',
        },
      ]),
      {
        description: 'officerPublicKey not on the curve',
        input: {
          ...valid,
          officerPublicKey: 'eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34',
        },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'officerPublicKey at or above the field size',
        input: { ...valid, officerPublicKey: 'f'.repeat(56) + 'fffffc30' },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'a 33-byte compressed key',
        input: { ...valid, officerPublicKey: `02${valid.officerPublicKey as string}` },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'signature too short',
        input: { ...valid, signature: (valid.signature as string).slice(2) },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'signature in uppercase',
        input: { ...valid, signature: (valid.signature as string).toUpperCase() },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'a DER signature',
        input: { ...valid, signature: `3044${valid.signature as string}` },
        code: 'APPROVAL_INVALID',
      },
      { description: 'approvedAt negative', input: { ...valid, approvedAt: -1 }, code: 'APPROVAL_INVALID' },
      {
        description: 'approvedAt fractional',
        input: { ...valid, approvedAt: 1.5 },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'approvedAt as a string',
        input: { ...valid, approvedAt: String(APPROVED_AT) },
        code: 'APPROVAL_INVALID',
      },
      {
        description: 'approvedAt past 2^53',
        input: { ...valid, approvedAt: 2 ** 53 },
        code: 'APPROVAL_INVALID',
      },
    ],
  };

  it.each(fixtures.valid)('accepts $description', ({ input }) => {
    expect(parseApproval(input)).toEqual(input);
  });

  it.each(fixtures.invalid)('refuses $description with $code', ({ input, code }) => {
    expect(codeOf(() => parseApproval(input))).toBe(code);
  });

  it('names the offending field', () => {
    try {
      parseApproval({ ...valid, signature: 'ab' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'APPROVAL_INVALID', details: { field: 'signature' } });
      expect((error as Error).message).toMatch(/"signature"/);
    }
  });

  it('round-trips: parse(file text) is the approval, and the text has the documented field order', () => {
    expect(parseApproval(JSON.parse(approvalFileText(APPROVAL)))).toEqual(APPROVAL);
    expect(approvalFileText(APPROVAL)).toBe(`${JSON.stringify(APPROVAL, null, 2)}\n`);
  });
});

describe('any single changed byte is refused (fast-check)', () => {
  const REFUSALS = [
    'APPROVAL_INVALID',
    'APPROVAL_MISMATCH',
    'APPROVAL_SIGNATURE_INVALID',
    'APPROVAL_EXPIRED',
  ];
  const hexFields = ['walletId', 'requestId', 'requestDigest', 'officerPublicKey', 'signature'] as const;

  it('in the bytes of any field, the signature included', () => {
    const fieldChange = fc.oneof(
      fc.record({
        field: fc.constantFrom(...hexFields),
        index: fc.nat({ max: 63 }),
        xor: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({
        field: fc.constant('approvedAt' as const),
        index: fc.nat({ max: 7 }),
        xor: fc.integer({ min: 1, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(fieldChange, ({ field, index, xor }) => {
        let changed: Record<string, unknown>;
        if (field === 'approvedAt') {
          const bytes = new Uint8Array(8);
          const view = new DataView(bytes.buffer);
          view.setBigUint64(0, BigInt(APPROVAL.approvedAt), true);
          bytes[index] = (bytes[index] as number) ^ xor;
          changed = { ...APPROVAL, approvedAt: Number(view.getBigUint64(0, true)) };
        } else {
          const bytes = hexToBytes(APPROVAL[field]);
          const at = index % bytes.length;
          bytes[at] = (bytes[at] as number) ^ xor;
          changed = { ...APPROVAL, [field]: Buffer.from(bytes).toString('hex') };
        }
        expect(REFUSALS).toContain(check(JSON.stringify(changed)));
      }),
      { numRuns: 500 },
    );
  });

  it('anywhere in the file text', () => {
    const text = Buffer.from(JSON.stringify(APPROVAL), 'utf8');
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bytes = Buffer.from(text);
        bytes[at] = (bytes[at] as number) ^ xor;
        let code: string | undefined;
        try {
          code = check(bytes.toString('utf8'));
        } catch (error) {
          // JSON.parse: a broken file is refused before any field is looked at.
          expect(error).toBeInstanceOf(SyntaxError);
          code = 'JSON_MALFORMED';
        }
        expect([...REFUSALS, 'JSON_MALFORMED']).toContain(code);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('showing a request', () => {
  it.each([
    [0n, '0.00000000'],
    [1n, '0.00000001'],
    [99_999_999n, '0.99999999'],
    [100_000_000n, '1.00000000'],
    [150_000_000n, '1.50000000'],
    [123_456_789n, '1.23456789'],
    [MAX_MONEY_SAT, '21000000.00000000'],
  ])('formatBtc(%s) is %s', (sats, btc) => {
    expect(formatBtc(sats)).toBe(btc);
  });

  it('formatBtc refuses amounts outside 0–21e14 sats', () => {
    expect(codeOf(() => formatBtc(-1n))).toBe('AMOUNT_INVALID');
    expect(codeOf(() => formatBtc(MAX_MONEY_SAT + 1n))).toBe('AMOUNT_INVALID');
  });

  it('formatBtc is exact: its digits read back as the same sats, for every amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_MONEY_SAT }), (sats) => {
        const btc = formatBtc(sats);
        expect(btc).toMatch(/^\d+\.\d{8}$/);
        expect(BigInt(btc.replace('.', ''))).toBe(sats);
      }),
    );
  });

  it('formatSats groups thousands', () => {
    expect(formatSats(0n)).toBe('0');
    expect(formatSats(999n)).toBe('999');
    expect(formatSats(1_500_000n)).toBe('1,500,000');
    expect(formatSats(MAX_MONEY_SAT)).toBe('2,100,000,000,000,000');
  });

  it('formatUnixSeconds gives ISO dates, and says so when a date is out of range', () => {
    expect(formatUnixSeconds(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatUnixSeconds(1_700_086_400)).toBe('2023-11-15T22:13:20.000Z');
    expect(formatUnixSeconds(Number.MAX_SAFE_INTEGER)).toMatch(/^unix 9007199254740991 \(beyond/);
  });

  it('reviewRequest shows every field of the request', () => {
    expect(reviewRequest(REQUEST)).toEqual({
      walletId: REQUEST.walletId,
      requestId: REQUEST.requestId,
      network: 'regtest',
      destination: REQUEST_JSON.destination,
      scriptPubKey: '0014751e76e8199196d454941c45d1b3a323f1433bd6',
      amountSat: '1500000',
      amountBtc: '0.01500000',
      policyHash: REQUEST.policyHash,
      expiresAt: REQUEST.expiresAt,
      expiresAtIso: '2023-11-15T22:13:20.000Z',
      requestDigest: requestDigest(REQUEST),
    });
  });

  it('names approval files by request and officer', () => {
    expect(defaultApprovalFileName(REQUEST.requestId, APPROVAL.officerPublicKey)).toBe(
      'b2b2b2b2b2b2.79be667e.approval.json',
    );
  });
});
