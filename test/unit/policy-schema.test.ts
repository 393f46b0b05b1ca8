// Policy files: every field's refusal with its code, the denylist and its pin, strict JSON, the
// bounded loader, and the examples in policies/ (which must say the truth about their keys).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { payments } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { ecc } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { isKuraError, type ErrorCode } from '../../src/errors.js';
import { duplicateKey } from '../../src/policy/json.js';
import { loadPolicy } from '../../src/policy/load.js';
import { parseDenylist, parsePolicy, policyHashOf } from '../../src/policy/schema.js';
import { tempDir } from '../helpers/cli.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const DEMO_WALLET_ID = 'd4495213697ea605214146a07cb12a104a0ef1016a2d4d49de90b853ad539f1d';
const REGTEST = networkInfo('regtest').bitcoinjs;

/** PUBLIC TEST KEYS: the private key is the integer n as 32 big-endian bytes. */
function scalar(n: number): Uint8Array {
  const key = new Uint8Array(32);
  key[31] = n;
  return key;
}
const xOnly = (n: number) => bytesToHex(ecc.xOnlyPointFromScalar(scalar(n)));
const p2wpkh = (n: number) =>
  payments.p2wpkh({ pubkey: ecc.pointFromScalar(scalar(n), true) as Uint8Array, network: REGTEST })
    .address as string;
const sha = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));

const DENYLIST = `# test denylist\n${p2wpkh(0x10)}\n\n${p2wpkh(0x11)}  # inline comment\n`;

type Json = Record<string, unknown>;

function base(): Json {
  return {
    kind: 'kura-policy',
    version: 1,
    network: 'regtest',
    walletId: DEMO_WALLET_ID,
    officers: [
      { id: 'ops-a', role: 'ops', publicKey: xOnly(1) },
      { id: 'ops-b', role: 'ops', publicKey: xOnly(2) },
      { id: 'sec-c', role: 'sec', publicKey: xOnly(3) },
      { id: 'fin-d', role: 'fin', publicKey: xOnly(4) },
    ],
    tiers: [
      { upToSat: 100_000_000, approvals: 2, requiredRoles: ['ops'], delaySeconds: 0 },
      { upToSat: 1_000_000_000, approvals: 2, requiredRoles: ['ops', 'sec'], delaySeconds: 3600 },
      { upToSat: 5_000_000_000, approvals: 3, requiredRoles: ['ops', 'sec', 'fin'], delaySeconds: 86400 },
    ],
    limits: { perWithdrawalSat: 5_000_000_000, rolling24h: { amountSat: 10_000_000_000, count: 5 } },
    allowlist: {
      enforced: true,
      coolingSeconds: 86400,
      entries: [
        { address: p2wpkh(0x0a), label: 'hot wallet', addedAt: 1_700_000_000 },
        { address: p2wpkh(0x0b), label: 'warm wallet', addedAt: 1_700_000_000 },
      ],
    },
    screening: { denylistFile: 'denylist.txt', denylistSha256: sha(DENYLIST) },
    fees: { maxFeeRateSatVb: 100, maxFeeSat: 500_000, maxFeePercent: 1 },
    approvalExpirySeconds: 86400,
  };
}

const DELETE = Symbol('delete');

/** A copy of the base policy with each [path, value] applied, e.g. ['tiers[0].upToSat', 0]. */
function edit(...changes: [path: string, value: unknown][]): Json {
  const policy = structuredClone(base());
  for (const [path, value] of changes) {
    const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    const last = keys.pop() as string;
    const parent = keys.reduce((o, k) => o[k] as Json, policy);
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
  }
  return policy;
}

const bytesOf = (input: unknown): Uint8Array =>
  input instanceof Uint8Array
    ? input
    : new TextEncoder().encode(typeof input === 'string' ? input : JSON.stringify(input));

interface Valid {
  description: string;
  input: unknown;
  denylist?: string;
}
interface Invalid extends Valid {
  code: ErrorCode;
  field?: string;
}

const valid: Valid[] = [
  { description: 'the base policy', input: base() },
  {
    description: 'no screening, no denylist',
    input: edit(['screening', DELETE]),
    denylist: undefined,
  },
  {
    description: 'amounts as decimal strings',
    input: edit(
      ['tiers[0].upToSat', '100000000'],
      ['limits.perWithdrawalSat', '5000000000'],
      ['limits.rolling24h.amountSat', '10000000000'],
      ['fees.maxFeeSat', '500000'],
    ),
  },
  {
    description: 'allowlist off and empty, description, fractional fee percent',
    input: edit(
      ['allowlist', { enforced: false, coolingSeconds: 0, entries: [] }],
      ['description', 'Treasury — 本番'],
      ['fees.maxFeePercent', 0.25],
    ),
  },
  { description: 'fee percent of 100', input: edit(['fees.maxFeePercent', 100]) },
  {
    description: 'a denylist with CRLF, comments and blank lines only',
    input: edit(['screening.denylistSha256', sha('# none yet\r\n\r\n   \r\n')]),
    denylist: '# none yet\r\n\r\n   \r\n',
  },
  {
    description: 'one tier, one officer, no required roles',
    input: edit(
      ['officers', [{ id: 'solo', role: 'ops', publicKey: xOnly(1) }]],
      ['tiers', [{ upToSat: 1000, approvals: 1, requiredRoles: [], delaySeconds: 0 }]],
    ),
  },
];

const invalid: Invalid[] = [
  { description: 'not JSON', input: '{"kind":', code: 'JSON_MALFORMED' },
  { description: 'not UTF-8', input: Uint8Array.of(0x7b, 0xff, 0x7d), code: 'JSON_MALFORMED' },
  {
    description: 'a key twice in one object',
    input: JSON.stringify(base()).replace('"version":1', '"version":1,"version":1'),
    code: 'POLICY_INVALID',
  },
  { description: 'an array', input: [], code: 'POLICY_INVALID', field: '(policy)' },
  {
    description: 'a misspelt field',
    input: edit(['approvalExpirySecond', 60]),
    code: 'POLICY_INVALID',
    field: 'approvalExpirySecond',
  },
  {
    description: 'another kind',
    input: edit(['kind', 'kura-wallet']),
    code: 'POLICY_INVALID',
    field: 'kind',
  },
  { description: 'version 2', input: edit(['version', 2]), code: 'POLICY_INVALID', field: 'version' },
  {
    description: 'unknown network',
    input: edit(['network', 'bitcoin']),
    code: 'POLICY_INVALID',
    field: 'network',
  },
  {
    description: 'upper-case wallet id',
    input: edit(['walletId', DEMO_WALLET_ID.toUpperCase()]),
    code: 'POLICY_INVALID',
    field: 'walletId',
  },
  {
    description: 'a bidirectional override in the description',
    input: edit(['description', 'pay \u202eevil']),
    code: 'POLICY_INVALID',
    field: 'description',
  },
  { description: 'no officers', input: edit(['officers', []]), code: 'POLICY_INVALID', field: 'officers' },
  {
    description: 'an officer that is not an object',
    input: edit(['officers[0]', 'ops-a']),
    code: 'POLICY_INVALID',
    field: 'officers[0]',
  },
  {
    description: 'an upper-case officer id',
    input: edit(['officers[1].id', 'Ops-B']),
    code: 'POLICY_INVALID',
    field: 'officers[1].id',
  },
  {
    description: 'two officers with one id',
    input: edit(['officers[1].id', 'ops-a']),
    code: 'POLICY_INVALID',
    field: 'officers[1].id',
  },
  {
    description: 'an officer without a role',
    input: edit(['officers[0].role', DELETE]),
    code: 'POLICY_INVALID',
    field: 'officers[0].role',
  },
  {
    description: 'a public key that is not hex',
    input: edit(['officers[0].publicKey', 'zz'.repeat(32)]),
    code: 'POLICY_INVALID',
    field: 'officers[0].publicKey',
  },
  {
    description: 'a compressed (33-byte) public key',
    input: edit(['officers[0].publicKey', `02${xOnly(1)}`]),
    code: 'POLICY_INVALID',
    field: 'officers[0].publicKey',
  },
  {
    description: 'a public key off the curve',
    input: edit(['officers[0].publicKey', 'ff'.repeat(32)]),
    code: 'POLICY_INVALID',
    field: 'officers[0].publicKey',
  },
  {
    description: 'two officers with one key',
    input: edit(['officers[2].publicKey', xOnly(1)]),
    code: 'POLICY_INVALID',
    field: 'officers[2].publicKey',
  },
  {
    description: 'an unknown officer field',
    input: edit(['officers[0].weight', 2]),
    code: 'POLICY_INVALID',
    field: 'officers[0].weight',
  },
  { description: 'no tiers', input: edit(['tiers', []]), code: 'POLICY_INVALID', field: 'tiers' },
  {
    description: 'a tier up to zero sats',
    input: edit(['tiers[0].upToSat', 0]),
    code: 'AMOUNT_INVALID',
    field: 'tiers[0].upToSat',
  },
  {
    description: 'a tier amount in exponent notation',
    input: edit(['tiers[0].upToSat', '1e8']),
    code: 'AMOUNT_INVALID',
    field: 'tiers[0].upToSat',
  },
  {
    description: 'a fractional tier amount',
    input: edit(['tiers[0].upToSat', 1.5]),
    code: 'AMOUNT_INVALID',
    field: 'tiers[0].upToSat',
  },
  {
    description: 'a tier above 21 million BTC',
    input: edit(['tiers[2].upToSat', '2100000000000001']),
    code: 'AMOUNT_INVALID',
    field: 'tiers[2].upToSat',
  },
  {
    description: 'tiers not ascending',
    input: edit(['tiers[1].upToSat', 100_000_000]),
    code: 'POLICY_INVALID',
    field: 'tiers[1].upToSat',
  },
  {
    description: 'zero approvals',
    input: edit(['tiers[1].approvals', 0]),
    code: 'POLICY_INVALID',
    field: 'tiers[1].approvals',
  },
  {
    description: 'more approvals than officers',
    input: edit(['tiers[2].approvals', 5]),
    code: 'POLICY_INVALID',
    field: 'tiers[2].approvals',
  },
  {
    description: 'a larger tier needing fewer approvals',
    input: edit(['tiers[2].approvals', 1], ['tiers[2].requiredRoles', []]),
    code: 'POLICY_INVALID',
    field: 'tiers[2].approvals',
  },
  {
    description: 'a required role no officer has',
    input: edit(['tiers[1].requiredRoles', ['ops', 'audit']]),
    code: 'POLICY_INVALID',
    field: 'tiers[1].requiredRoles[1]',
  },
  {
    description: 'a required role twice',
    input: edit(['tiers[1].requiredRoles', ['ops', 'ops']]),
    code: 'POLICY_INVALID',
    field: 'tiers[1].requiredRoles[1]',
  },
  {
    description: 'more required roles than approvals',
    input: edit(['tiers[1].requiredRoles', ['ops', 'sec', 'fin']]),
    code: 'POLICY_INVALID',
    field: 'tiers[1].requiredRoles',
  },
  {
    description: 'required roles as a string',
    input: edit(['tiers[0].requiredRoles', 'ops']),
    code: 'POLICY_INVALID',
    field: 'tiers[0].requiredRoles',
  },
  {
    description: 'a negative delay',
    input: edit(['tiers[0].delaySeconds', -1]),
    code: 'POLICY_INVALID',
    field: 'tiers[0].delaySeconds',
  },
  {
    description: 'a delay over 30 days',
    input: edit(['tiers[0].delaySeconds', 30 * 86400 + 1]),
    code: 'POLICY_INVALID',
    field: 'tiers[0].delaySeconds',
  },
  { description: 'no limits', input: edit(['limits', DELETE]), code: 'POLICY_INVALID', field: 'limits' },
  {
    description: 'a negative per-withdrawal limit',
    input: edit(['limits.perWithdrawalSat', '-1']),
    code: 'AMOUNT_INVALID',
    field: 'limits.perWithdrawalSat',
  },
  {
    description: 'no rolling amount',
    input: edit(['limits.rolling24h.amountSat', DELETE]),
    code: 'AMOUNT_INVALID',
    field: 'limits.rolling24h.amountSat',
  },
  {
    description: 'a rolling count of zero',
    input: edit(['limits.rolling24h.count', 0]),
    code: 'POLICY_INVALID',
    field: 'limits.rolling24h.count',
  },
  {
    description: 'allowlist enforcement as a string',
    input: edit(['allowlist.enforced', 'yes']),
    code: 'POLICY_INVALID',
    field: 'allowlist.enforced',
  },
  {
    description: 'a negative cooling period',
    input: edit(['allowlist.coolingSeconds', -1]),
    code: 'POLICY_INVALID',
    field: 'allowlist.coolingSeconds',
  },
  {
    description: 'a mainnet address on a regtest policy',
    input: edit(['allowlist.entries[0].address', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']),
    code: 'ADDRESS_INVALID',
    field: 'allowlist.entries[0].address',
  },
  {
    description: 'an address that is not a string',
    input: edit(['allowlist.entries[0].address', 42]),
    code: 'POLICY_INVALID',
    field: 'allowlist.entries[0].address',
  },
  {
    description: 'the same script twice (once in upper case)',
    input: edit(['allowlist.entries[1].address', p2wpkh(0x0a).toUpperCase()]),
    code: 'POLICY_INVALID',
    field: 'allowlist.entries[1].address',
  },
  {
    description: 'an empty label',
    input: edit(['allowlist.entries[0].label', '']),
    code: 'POLICY_INVALID',
    field: 'allowlist.entries[0].label',
  },
  {
    description: 'a label with a newline',
    input: edit(['allowlist.entries[0].label', 'hot\nwallet']),
    code: 'POLICY_INVALID',
    field: 'allowlist.entries[0].label',
  },
  {
    description: 'a negative addedAt',
    input: edit(['allowlist.entries[0].addedAt', -5]),
    code: 'POLICY_INVALID',
    field: 'allowlist.entries[0].addedAt',
  },
  {
    description: 'an allowlisted address on the denylist',
    input: edit(['allowlist.entries[1].address', p2wpkh(0x11)]),
    code: 'POLICY_INVALID',
    field: 'allowlist.entries[1].address',
  },
  {
    description: 'an absolute denylist path',
    input: edit(['screening.denylistFile', '/etc/denylist.txt']),
    code: 'POLICY_INVALID',
    field: 'screening.denylistFile',
  },
  {
    description: 'a denylist path out of the folder',
    input: edit(['screening.denylistFile', '../denylist.txt']),
    code: 'POLICY_INVALID',
    field: 'screening.denylistFile',
  },
  {
    description: 'a denylist hash that is not hex',
    input: edit(['screening.denylistSha256', 'sha256:abc']),
    code: 'POLICY_INVALID',
    field: 'screening.denylistSha256',
  },
  {
    description: 'a denylist that differs from its pin',
    input: base(),
    denylist: `${DENYLIST}${p2wpkh(0x12)}\n`,
    code: 'POLICY_HASH_MISMATCH',
    field: 'screening.denylistSha256',
  },
  {
    description: 'screening without the denylist supplied',
    input: base(),
    denylist: undefined,
    code: 'POLICY_INVALID',
    field: 'screening.denylistFile',
  },
  {
    description: 'a denylist line that is no regtest address',
    input: edit(['screening.denylistSha256', sha('# ok\nnot-an-address\n')]),
    denylist: '# ok\nnot-an-address\n',
    code: 'ADDRESS_INVALID',
    field: 'denylist line 2',
  },
  {
    description: 'a zero fee rate cap',
    input: edit(['fees.maxFeeRateSatVb', 0]),
    code: 'POLICY_INVALID',
    field: 'fees.maxFeeRateSatVb',
  },
  {
    description: 'a fractional fee rate cap',
    input: edit(['fees.maxFeeRateSatVb', 1.5]),
    code: 'POLICY_INVALID',
    field: 'fees.maxFeeRateSatVb',
  },
  {
    description: 'a zero absolute fee cap',
    input: edit(['fees.maxFeeSat', 0]),
    code: 'AMOUNT_INVALID',
    field: 'fees.maxFeeSat',
  },
  ...[0, 100.01, 0.001, -1, '1'].map((value): Invalid => ({
    description: `a fee percent of ${JSON.stringify(value)}`,
    input: edit(['fees.maxFeePercent', value]),
    code: 'POLICY_INVALID',
    field: 'fees.maxFeePercent',
  })),
  {
    description: 'approvals that expire within a minute',
    input: edit(['approvalExpirySeconds', 59]),
    code: 'POLICY_INVALID',
    field: 'approvalExpirySeconds',
  },
  {
    description: 'no approval expiry',
    input: edit(['approvalExpirySeconds', DELETE]),
    code: 'POLICY_INVALID',
    field: 'approvalExpirySeconds',
  },
];

describe('parsePolicy', () => {
  it.each(valid.map((f) => [f.description, f] as const))('accepts %s', (_, fixture) => {
    const denylist = 'denylist' in fixture ? fixture.denylist : DENYLIST;
    const policy = parsePolicy(bytesOf(fixture.input), denylist);
    expect(policy.walletId).toBe(DEMO_WALLET_ID);
    expect(typeof policy.limits.perWithdrawalSat).toBe('bigint');
  });

  it.each(invalid.map((f) => [f.description, f] as const))('refuses %s', (_, fixture) => {
    const denylist = 'denylist' in fixture ? fixture.denylist : DENYLIST;
    let caught: unknown;
    try {
      parsePolicy(bytesOf(fixture.input), denylist);
    } catch (error) {
      caught = error;
    }
    expect(isKuraError(caught)).toBe(true);
    if (!isKuraError(caught)) return;
    expect(caught.code).toBe(fixture.code);
    if (fixture.field !== undefined) {
      expect(caught.details.field).toBe(fixture.field);
      expect(caught.message).toContain(`"${fixture.field}"`);
    }
  });

  it('keeps amounts as bigint and addresses as their scripts', () => {
    const policy = parsePolicy(bytesOf(base()), DENYLIST);
    expect(policy.tiers.map((t) => t.upToSat)).toEqual([100_000_000n, 1_000_000_000n, 5_000_000_000n]);
    expect(policy.fees.maxFeeBasisPoints).toBe(100n);
    const script = bytesToHex(
      payments.p2wpkh({ address: p2wpkh(0x0a), network: REGTEST }).output as Uint8Array,
    );
    expect(policy.allowlist.entries[0]?.scriptPubKey).toBe(script);
  });

  it('accepts the denylist as bytes or as text, hashed alike', () => {
    const a = parsePolicy(bytesOf(base()), DENYLIST);
    const b = parsePolicy(bytesOf(base()), new TextEncoder().encode(DENYLIST));
    expect(a).toEqual(b);
  });
});

describe('the denylist', () => {
  it('reads one address per line, with comments, blank lines and CRLF, and keeps line numbers', () => {
    const text = `# header\r\n\r\n${p2wpkh(0x10)}\r\n   ${p2wpkh(0x11)}   # stolen\r\n# end`;
    const entries = parseDenylist(text, 'regtest');
    expect(entries.map((e) => [e.address, e.line])).toEqual([
      [p2wpkh(0x10), 3],
      [p2wpkh(0x11), 4],
    ]);
  });

  it('names the line of an address for another network', () => {
    expect(() => parseDenylist(`# x\n${'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'}\n`, 'regtest')).toThrow(
      /"denylist line 2" is not a valid regtest address/,
    );
  });
});

describe('strict JSON', () => {
  it('finds a key twice in any object, escapes included, and nothing in valid files', () => {
    expect(duplicateKey('{"a":1,"b":{"c":1,"c":2}}')).toBe('c');
    expect(duplicateKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(duplicateKey('[{"a":1},{"a":2}]')).toBeUndefined();
    expect(duplicateKey('{"a":"{\\"a\\":1}","b":["a","a"]}')).toBeUndefined();
  });
});

describe('loadPolicy', () => {
  function folder(): string {
    const dir = tempDir();
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(base(), null, 2));
    writeFileSync(join(dir, 'denylist.txt'), DENYLIST);
    return dir;
  }

  it('reads the policy and the denylist next to it; the hash is SHA-256 of the file bytes', () => {
    const dir = folder();
    const { policy, policyHash } = loadPolicy(join(dir, 'policy.json'));
    expect(policyHash).toBe(bytesToHex(sha256(readFileSync(join(dir, 'policy.json')))));
    expect(policyHash).toBe(policyHashOf(readFileSync(join(dir, 'policy.json'))));
    expect(policy.screening?.entries).toHaveLength(2);
  });

  it('refuses an edited denylist with POLICY_HASH_MISMATCH, so the policy hash covers it', () => {
    const dir = folder();
    writeFileSync(join(dir, 'denylist.txt'), DENYLIST.replace(`${p2wpkh(0x10)}\n`, ''));
    expect(() => loadPolicy(join(dir, 'policy.json'))).toThrow(
      expect.objectContaining({ code: 'POLICY_HASH_MISMATCH' }),
    );
  });

  it('refuses a missing policy or denylist, and an oversized policy', () => {
    const dir = folder();
    expect(() => loadPolicy(join(dir, 'nope.json'))).toThrow(
      expect.objectContaining({ code: 'FILE_NOT_FOUND' }),
    );
    const other = tempDir();
    copyFileSync(join(dir, 'policy.json'), join(other, 'policy.json'));
    expect(() => loadPolicy(join(other, 'policy.json'))).toThrow(
      expect.objectContaining({
        code: 'FILE_NOT_FOUND',
        details: expect.objectContaining({ field: 'screening.denylistFile' }),
      }),
    );
    writeFileSync(join(other, 'big.json'), ' '.repeat(1024 * 1024 + 1));
    expect(() => loadPolicy(join(other, 'big.json'))).toThrow(
      expect.objectContaining({ code: 'FILE_TOO_LARGE' }),
    );
  });

  it('refuses a malformed file with its own reason, before looking for a denylist', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'policy.json'), '{"kind":"kura-policy",');
    expect(() => loadPolicy(join(dir, 'policy.json'))).toThrow(
      expect.objectContaining({ code: 'JSON_MALFORMED' }),
    );
  });
});

describe('the example policies', () => {
  const examples = ['exchange-hot-to-cold.json', 'treasury.json'];

  it.each(examples)('%s loads, governs the public demo wallet on regtest, and screens', (name) => {
    const { policy } = loadPolicy(join(root, 'policies', name));
    expect(policy.network).toBe('regtest');
    expect(policy.walletId).toBe(DEMO_WALLET_ID);
    expect(policy.screening?.entries.length).toBeGreaterThan(0);
    expect(policy.allowlist.entries.length).toBeGreaterThan(0);
    expect(policy.tiers.length).toBeGreaterThan(1);
  });

  it.each(examples)('%s: officer n holds the public test key n (as policies/README.md says)', (name) => {
    const { policy } = loadPolicy(join(root, 'policies', name));
    policy.officers.forEach((officer, i) => expect(officer.publicKey).toBe(xOnly(i + 1)));
  });

  it('the denylist example lists the addresses of public test keys 0x10, 0x11 and 0x12', () => {
    const text = readFileSync(join(root, 'policies', 'denylist.example.txt'), 'utf8');
    const scripts = parseDenylist(text, 'regtest').map((e) => e.scriptPubKey);
    const pub = (n: number) => ecc.pointFromScalar(scalar(n), true) as Uint8Array;
    const expected = [
      payments.p2wpkh({ pubkey: pub(0x10), network: REGTEST }).output,
      payments.p2pkh({ pubkey: pub(0x11), network: REGTEST }).output,
      payments.p2sh({ redeem: payments.p2wpkh({ pubkey: pub(0x12), network: REGTEST }), network: REGTEST })
        .output,
    ].map((s) => bytesToHex(s as Uint8Array));
    expect(scripts).toEqual(expected);
  });
});

/**
 * The subset of JSON Schema 2020-12 that policies/policy.schema.json uses, enough to check that
 * the schema and parsePolicy agree (kura itself never validates with the schema).
 */
function schemaErrors(schema: Json, value: unknown, root: Json, at = '$'): string[] {
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const target = ref
      .replace('#/', '')
      .split('/')
      .reduce<Json>((o, k) => o[k] as Json, root);
    return schemaErrors(target, value, root, at);
  }
  const errors: string[] = [];
  const fail = (why: string) => errors.push(`${at} ${why}`);
  if ('const' in schema && value !== schema.const) fail('differs from const');
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail('is not in enum');
  const type = schema.type;
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'object' && !isObject) fail('is not an object');
  if (type === 'array' && !Array.isArray(value)) fail('is not an array');
  if (type === 'string' && typeof value !== 'string') fail('is not a string');
  if (type === 'boolean' && typeof value !== 'boolean') fail('is not a boolean');
  if (type === 'number' && typeof value !== 'number') fail('is not a number');
  if (type === 'integer' && !Number.isInteger(value)) fail('is not an integer');
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('is below minimum');
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('is above maximum');
  }
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      fail('fails pattern');
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail('is too short');
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail('is too long');
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('has too few items');
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail('has too many items');
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      fail('has repeated items');
    }
    const items = schema.items as Json | undefined;
    if (items !== undefined)
      value.forEach((v, i) => errors.push(...schemaErrors(items, v, root, `${at}[${i}]`)));
  }
  if (isObject) {
    const o = value as Json;
    const properties = (schema.properties ?? {}) as Record<string, Json>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in o)) fail(`lacks ${key}`);
    for (const [key, v] of Object.entries(o)) {
      const sub = properties[key];
      if (sub !== undefined) errors.push(...schemaErrors(sub, v, root, `${at}.${key}`));
      else if (schema.additionalProperties === false) fail(`has unknown ${key}`);
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Json[]).filter((s) => schemaErrors(s, value, root, at).length === 0);
    if (passing.length !== 1) fail(`matches ${passing.length} of oneOf`);
  }
  return errors;
}

describe('policies/policy.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(root, 'policies', 'policy.schema.json'), 'utf8')) as Json;
  const check = (value: unknown) => schemaErrors(schema, value, schema);

  it('is JSON Schema 2020-12 with a description for every property', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const undescribed: string[] = [];
    const walk = (s: Json, at: string) => {
      for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, Json>)) {
        if (typeof sub.description !== 'string') undescribed.push(`${at}.${key}`);
        walk(sub, `${at}.${key}`);
      }
      if (typeof s.items === 'object' && s.items !== null) walk(s.items as Json, `${at}[]`);
    };
    walk(schema, '$');
    expect(undescribed).toEqual([]);
  });

  it.each(['exchange-hot-to-cold.json', 'treasury.json'])('accepts %s', (name) => {
    expect(check(JSON.parse(readFileSync(join(root, 'policies', name), 'utf8')))).toEqual([]);
  });

  it.each(valid.filter((f) => !(f.input instanceof Uint8Array)).map((f) => [f.description, f] as const))(
    'accepts the valid fixture: %s',
    (_, fixture) => expect(check(fixture.input)).toEqual([]),
  );

  // Rules across fields, or about content a schema cannot see, that only parsePolicy enforces.
  const parserOnly = new Set([
    'not JSON',
    'not UTF-8',
    'a key twice in one object',
    'a bidirectional override in the description',
    'two officers with one id',
    'a public key off the curve',
    'two officers with one key',
    'a tier above 21 million BTC',
    'tiers not ascending',
    'more approvals than officers',
    'a larger tier needing fewer approvals',
    'a required role no officer has',
    'more required roles than approvals',
    'a mainnet address on a regtest policy',
    'the same script twice (once in upper case)',
    'a label with a newline',
    'an allowlisted address on the denylist',
    'a denylist that differs from its pin',
    'screening without the denylist supplied',
    'a denylist line that is no regtest address',
    'a fee percent of 0.001',
  ]);

  it('names only fixtures that exist as parser-only', () => {
    const names = new Set(invalid.map((f) => f.description));
    expect([...parserOnly].filter((n) => !names.has(n))).toEqual([]);
  });

  it.each(invalid.filter((f) => !parserOnly.has(f.description)).map((f) => [f.description, f] as const))(
    'refuses the invalid fixture too: %s',
    (_, fixture) => expect(check(fixture.input).length).toBeGreaterThan(0),
  );
});

describe('policies/README.md', () => {
  const readme = readFileSync(join(root, 'policies', 'README.md'), 'utf8');
  const rows = [
    ...readme.matchAll(/^\| `0x…([0-9a-f]{2})` +\| `(\w+)` +\| (P2WPKH|P2SH-P2WPKH|P2PKH) +\|/gm),
  ];

  it('derives every listed address from the public test key it names', () => {
    expect(rows.length).toBeGreaterThanOrEqual(9);
    for (const [, hex, address, type] of rows) {
      const pubkey = ecc.pointFromScalar(scalar(parseInt(hex ?? '', 16)), true) as Uint8Array;
      const derived =
        type === 'P2WPKH'
          ? payments.p2wpkh({ pubkey, network: REGTEST }).address
          : type === 'P2PKH'
            ? payments.p2pkh({ pubkey, network: REGTEST }).address
            : payments.p2sh({ redeem: payments.p2wpkh({ pubkey, network: REGTEST }), network: REGTEST })
                .address;
      expect(derived, `key 0x${hex}`).toBe(address);
    }
  });

  it('lists every address the examples use', () => {
    const listed = new Set(rows.map((r) => r[2]));
    for (const name of ['exchange-hot-to-cold.json', 'treasury.json']) {
      const { policy } = loadPolicy(join(root, 'policies', name));
      const used = [...policy.allowlist.entries, ...(policy.screening?.entries ?? [])].map((e) => e.address);
      expect(used.filter((a) => !listed.has(a))).toEqual([]);
    }
  });
});
