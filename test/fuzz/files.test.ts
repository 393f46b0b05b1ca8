// Bad input everywhere (faults issue, part 5): the JSON files people and other machines hand to
// kura — cosigner, wallet, policy, withdrawal request and approval files — mutated at random,
// field by field (near-miss values, removed fields, extra fields) and byte by byte (flips,
// truncations, insertions, repeats), then parsed the way kura reads them. The only outcomes
// allowed are a result or a typed refusal with a documented code other than INTERNAL; and where
// the parser accepts a mutated file, it must mean what the original meant where it matters
// (the same key, the same wallet id, an approval that counts only for the content it signed).
// The same files go through the real CLI a few times: no exit code 1, no stack trace.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  approvalFileText,
  parseApproval,
  signApproval,
  verifyApproval,
  type Approval,
} from '../../src/approvals/approval.js';
import {
  destinationScript,
  parseRequest,
  requestToJson,
  type WithdrawalRequest,
} from '../../src/approvals/request.js';
import { cosignerFileFor, parseCosignerFile } from '../../src/artifacts/cosignerFile.js';
import { parseWalletFile, walletFileFor } from '../../src/artifacts/walletFile.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { formatAccountKey, type AccountKey } from '../../src/bitcoin/keyExpression.js';
import { ExitCode } from '../../src/errors.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { parsePolicy, policyHashOf } from '../../src/policy/schema.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { kura, tempDir } from '../helpers/cli.js';
import { OFFICERS, testDestination, testPolicy } from '../helpers/scenario.js';
import {
  documentMutation,
  FUZZ_SEED,
  fuzzRuns,
  jsonOfBytes,
  mutateDocument,
  outcome,
  Tally,
  utf8,
  type DocumentMutation,
} from './mutate.js';

const RUNS = fuzzRuns(500);
const CLI_RUNS = fuzzRuns(40);
const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

let keys: AccountKey[];
let walletFile: ReturnType<typeof walletFileFor>;
let policyText: string;
let request: WithdrawalRequest;
let approval: Approval;

beforeAll(() => {
  keys = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
    accountKeyFromMaster(masterFromSeed(mnemonicToSeed(m, ''), 'regtest'), 'regtest', 0),
  );
  walletFile = walletFileFor('treasury', makeMultisigWallet(2, keys, 'regtest'));
  policyText = `${JSON.stringify(testPolicy(walletFile.walletId), null, 2)}\n`;
  const destination = testDestination(7);
  request = {
    walletId: walletFile.walletId,
    requestId: '22'.repeat(32),
    network: 'regtest',
    destination,
    scriptPubKey: destinationScript(destination, 'regtest'),
    amountSat: 25_000_000n,
    policyHash: policyHashOf(utf8(policyText)),
    expiresAt: 1_900_000_000,
  };
  const officer = OFFICERS[0];
  if (officer === undefined) throw new Error('no test officer');
  approval = signApproval(request, officer.privateKey, request.expiresAt - 3_600, new Uint8Array(32));
});

/** Parses `bytes` as kura reads a JSON file, then with `parse`; the outcome is tallied. */
function parseFile<T>(tally: Tally, bytes: Uint8Array, parse: (json: unknown) => T) {
  const result = outcome(() => {
    let json: unknown;
    try {
      json = jsonOfBytes(bytes);
    } catch {
      // readJsonFile's refusal of text that is not JSON; the parsers below never see it
      return 'not JSON' as const;
    }
    return parse(json);
  });
  tally.add(result.ok && result.value === 'not JSON' ? { ok: false, code: 'JSON_MALFORMED' } : result);
  return result.ok && result.value !== 'not JSON' ? (result.value as T) : undefined;
}

function property<T>(
  document: unknown,
  text: () => string,
  check: (bytes: Uint8Array, tally: Tally) => T,
  runs = RUNS,
): Tally {
  const tally = new Tally();
  fc.assert(
    fc.property(documentMutation(document), (mutation: DocumentMutation) => {
      check(mutateDocument(document, text(), mutation), tally);
    }),
    { seed: FUZZ_SEED, numRuns: runs },
  );
  return tally;
}

describe('mutated files give a result or a typed refusal', () => {
  it('cosigner files: an accepted file is still the same key', () => {
    const key = keys[0] as AccountKey;
    const file = cosignerFileFor(key);
    const text = () => `${JSON.stringify(file, null, 2)}\n`;
    const tally = property(file, text, (bytes, t) => {
      const parsed = parseFile(t, bytes, (json) => parseCosignerFile(json, 'regtest'));
      if (parsed !== undefined) expect(formatAccountKey(parsed)).toBe(formatAccountKey(key));
    });
    expect(tally.cases).toBe(RUNS);
    console.info(`fuzz cosigner files: ${tally}`);
  });

  it('wallet files: an accepted file is still the same wallet', () => {
    const text = () => `${JSON.stringify(walletFile, null, 2)}\n`;
    const tally = property(walletFile, text, (bytes, t) => {
      const parsed = parseFile(t, bytes, parseWalletFile);
      if (parsed !== undefined) expect(parsed.id).toBe(walletFile.walletId);
    });
    console.info(`fuzz wallet files: ${tally}`);
  });

  it('policy files, and the example policy with its denylist mutated', () => {
    const document = JSON.parse(policyText) as unknown;
    const tally = property(
      document,
      () => policyText,
      (bytes, t) => {
        t.add(outcome(() => parsePolicy(bytes)));
      },
    );
    console.info(`fuzz policy files: ${tally}`);

    const examplePolicy = readFileSync(join(root, 'policies', 'exchange-hot-to-cold.json'));
    const denylist = readFileSync(join(root, 'policies', 'denylist.example.txt'), 'utf8');
    const denylists = new Tally();
    fc.assert(
      fc.property(documentMutation(denylist.split('\n')), (mutation) => {
        // the denylist is lines of text: mutated as a list of lines, or as bytes
        const mutated = mutateDocument(denylist.split('\n'), denylist, mutation);
        const text =
          mutation.level === 'json'
            ? (JSON.parse(Buffer.from(mutated).toString('utf8')) as unknown[]).map(String).join('\n')
            : Buffer.from(mutated).toString('utf8');
        const result = outcome(() => parsePolicy(examplePolicy, text));
        denylists.add(result);
        // the policy pins the denylist by its SHA-256: only the very same list is accepted
        if (result.ok) expect(text).toBe(denylist);
      }),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
    console.info(`fuzz policy denylists: ${denylists}`);
  });

  it('request files: an accepted request different in content is refused by the approval of the original', () => {
    const document = requestToJson(request);
    const text = () => `${JSON.stringify(document, null, 2)}\n`;
    const tally = property(document, text, (bytes, t) => {
      const parsed = parseFile(t, bytes, parseRequest);
      if (parsed === undefined) return;
      const same =
        parsed.walletId === request.walletId &&
        parsed.requestId === request.requestId &&
        parsed.network === request.network &&
        Buffer.from(parsed.scriptPubKey).equals(Buffer.from(request.scriptPubKey)) &&
        parsed.amountSat === request.amountSat &&
        parsed.policyHash === request.policyHash &&
        parsed.expiresAt === request.expiresAt;
      const verified = outcome(() => verifyApproval(approval, parsed));
      expect(verified.ok).toBe(same);
    });
    console.info(`fuzz request files: ${tally}`);
  });

  it('approval files: an accepted approval verifies only when it is the one the officer signed', () => {
    const document = JSON.parse(approvalFileText(approval)) as unknown;
    const tally = property(
      document,
      () => approvalFileText(approval),
      (bytes, t) => {
        const parsed = parseFile(t, bytes, parseApproval);
        if (parsed === undefined) return;
        const verified = outcome(() => verifyApproval(parsed, request));
        expect(verified.ok).toBe(JSON.stringify(parsed) === JSON.stringify(approval));
      },
    );
    console.info(`fuzz approval files: ${tally}`);
  });
});

describe('mutated files through the CLI', () => {
  /** A refusal is printed as one line with its code and a documented exit code: never 1, never a stack. */
  function expectTidy(run: { code: number; stdout: string; stderr: string }): void {
    expect(run.code, run.stderr).not.toBe(ExitCode.internal);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
    if (run.code !== 0) expect(run.stdout + run.stderr).toMatch(/[A-Z_]{5,}/);
  }

  it('kura wallet show and kura policy check', async () => {
    const dir = tempDir('kura-fuzz-cli-');
    const walletText = `${JSON.stringify(walletFile, null, 2)}\n`;
    const requestDocument = requestToJson(request);
    const requestText = `${JSON.stringify(requestDocument, null, 2)}\n`;
    const policyDocument = JSON.parse(policyText) as unknown;
    const exits = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        documentMutation(walletFile),
        documentMutation(policyDocument),
        documentMutation(requestDocument),
        async (walletMutation, policyMutation, requestMutation) => {
          const wallet = join(dir, 'wallet.json');
          const policy = join(dir, 'policy.json');
          const req = join(dir, 'request.json');
          writeFileSync(wallet, mutateDocument(walletFile, walletText, walletMutation));
          writeFileSync(policy, mutateDocument(policyDocument, policyText, policyMutation));
          writeFileSync(req, mutateDocument(requestDocument, requestText, requestMutation));
          for (const args of [
            ['wallet', 'show', '--wallet', wallet],
            ['wallet', 'show', '--wallet', wallet, '--json'],
            ['policy', 'check', '--policy', policy, '--request', req, '--json'],
          ]) {
            const run = await kura(args);
            expectTidy(run);
            exits.set(run.code, (exits.get(run.code) ?? 0) + 1);
          }
        },
      ),
      { seed: FUZZ_SEED, numRuns: CLI_RUNS },
    );
    // the unmutated files are fine, so the runs above could have failed
    writeFileSync(join(dir, 'ok.json'), utf8(walletText));
    expect((await kura(['wallet', 'show', '--wallet', join(dir, 'ok.json')])).code).toBe(0);
    console.info(
      `fuzz CLI: ${CLI_RUNS * 3} runs, exit codes ${[...exits].map(([c, n]) => `${c}×${n}`).join(', ')}`,
    );
  });
});
