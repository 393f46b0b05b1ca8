// Proof of reserves end to end on a real regtest node: the scenario wallet is funded by mining, a
// coordinator home follows the node (`kura coordinator init` with a password file, `kura
// coordinator sync`), `kura audit reserves prove` builds the package, two signers sign it with the
// real `kura signer sign`, `finalize` writes the proof file and `verify` checks it against the node
// with nothing else — then tampered proofs, coins spent before and after the block, and the
// solvency statement over the verification report.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { Block, payments, Psbt, script as bjsScript, Transaction } from 'bitcoinjs-lib';
import { registerAuditReserves, registerAuditSolvency } from '../../cli/auditReserves.js';
import { InvalidOption, type CliContext } from '../../cli/context.js';
import { KuraError } from '../../src/errors.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { buildProofPackage } from '../../src/artifacts/buildProof.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { buildLiabilities } from '../../src/audit/liabilities/index.js';
import { proofMessage, type ReservesProofFile } from '../../src/audit/reserves/index.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { kura, scripted, tempDir, writeTemp } from '../helpers/cli.js';
import { initCoordinatorHomeViaCli } from '../helpers/coordinatorHome.js';
import { startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import {
  approve,
  buildPackage,
  makeRequest,
  setUpScenario,
  signOk,
  testDestination,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly said: string;
  json<T>(): T;
}

/**
 * Runs `kura audit …` with only this engineer's commands registered on an `audit` group, the way
 * cli/main.ts maps errors: a KuraError prints `kura: CODE: message` (and the JSON error with
 * --json) and exits with its code.
 */
async function audit(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const said: string[] = [];
  const ctx: CliContext = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    interaction: scripted({ interactive: false }, said),
  };
  const program = new Command('kura')
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err });
  const group = program.command('audit');
  registerAuditReserves(group, ctx);
  registerAuditSolvency(group, ctx);
  let code = 0;
  try {
    await program.parseAsync(['audit', ...args], { from: 'user' });
  } catch (error) {
    const kuraError =
      error instanceof KuraError
        ? error
        : error instanceof InvalidOption
          ? new KuraError('ARGUMENT_INVALID', error.message)
          : undefined;
    if (kuraError !== undefined) {
      code = kuraError.exitCode;
      if (args.includes('--json')) stdout += `${JSON.stringify({ error: kuraError.toJSON() })}\n`;
      stderr += `kura: ${kuraError.code}: ${kuraError.message}\n`;
    } else if (error instanceof CommanderError) {
      code = 2;
    } else {
      throw error;
    }
  }
  return { code, stdout, stderr, said: said.join('\n'), json: <T>() => JSON.parse(stdout) as T };
}

function errorOf(run: Run): string | undefined {
  return /kura: ([A-Z_]+):/.exec(run.stderr)?.[1];
}

let node: RegtestNode;
let scenario: Scenario;
let dir: string;
let home: string;
let passwordFile: string;
let deriver: WalletDeriver;
/** The coinbase transactions that funded the wallet, with the address index each pays. */
const funding: { tx: Transaction; index: number; blockHash: string }[] = [];

/** A proof file whose fields a tampering test may replace. */
type Editable = { -readonly [K in keyof ReservesProofFile]: ReservesProofFile[K] };

const TEXT = 'ACME <Custody> & "Sons" — audit 2025-Q2, challenge 7f3a';

function nodeFlags(): string[] {
  return ['--rpc-url', node.rpcUrl, '--rpc-user', node.rpcAuth.username, '--rpc-password-file', passwordFile];
}

async function sync(): Promise<void> {
  const run = await kura(['coordinator', 'sync', '--home', home, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

async function fund(index: number, blocks: number): Promise<void> {
  for (const blockHash of await node.mineTo(deriver.derive(0, index).address, blocks)) {
    const block = Block.fromHex(await node.rpc<string>('getblock', [blockHash, 0]));
    const coinbase = block.transactions?.[0];
    if (coinbase === undefined) throw new Error('no coinbase');
    funding.push({ tx: coinbase, index, blockHash });
  }
}

/** alice and carol sign the package with the real CLI; returns their signed files. */
async function signByTwo(packagePath: string): Promise<string[]> {
  const signed: string[] = [];
  for (const signer of [scenario.homes.alice, scenario.homes.carol]) {
    signed.push((await signOk(scenario, signer, packagePath)).json<{ signedPath: string }>().signedPath);
  }
  return signed;
}

async function finalize(packagePath: string, signed: string[], out: string): Promise<Run> {
  return audit([
    'reserves',
    'finalize',
    '--home',
    home,
    '--package',
    packagePath,
    ...signed.flatMap((s) => ['--signed', s]),
    '--out',
    out,
    '--json',
  ]);
}

async function verify(proofPath: string, extra: string[] = []): Promise<Run> {
  return audit(['reserves', 'verify', '--proof', proofPath, ...nodeFlags(), '--json', ...extra]);
}

beforeAll(async () => {
  [node, scenario] = await Promise.all([startRegtestNode(), setUpScenario()]);
  deriver = new WalletDeriver(scenario.wallet.wallet);
  dir = tempDir('kura-reserves-');
  // Two coinbases to /0/0 (two coins at one address) and one to /0/1; then segwit and maturity.
  await fund(0, 2);
  await fund(1, 1);
  await node.ensureSegwit(testDestination(500));
  passwordFile = writeTemp(dir, 'rpc-password', `${node.rpcAuth.password}\n`);
  home = join(dir, 'coordinator');
  await initCoordinatorHomeViaCli({
    home,
    walletPath: scenario.walletPath,
    policyPath: scenario.policyPath,
    rpcUrl: node.rpcUrl,
    rpcUser: node.rpcAuth.username,
    passwordFile,
    birthdayHeight: 1,
  });
  await sync();
}, 240_000);

afterAll(async () => {
  await node?.stop();
});

describe('proof of reserves on regtest', () => {
  let proofPath = '';
  let proof: ReservesProofFile;
  let provedHeight = 0;
  const nodeTotal = () => funding.reduce((sum, f) => sum + (f.tx.outs[0]?.value ?? 0n), 0n);

  it('is proved, signed by two signers, finalized and verified against the node', async () => {
    const packagePath = join(dir, 'reserves.psbt');
    const proved = await audit([
      'reserves',
      'prove',
      '--home',
      home,
      '--message',
      TEXT,
      '--out',
      packagePath,
      '--json',
    ]);
    expect(proved.stderr).toBe('');
    expect(proved.code).toBe(0);
    const result = proved.json<{
      coins: number;
      totalSat: string;
      message: string;
      block: { height: number; hash: string };
    }>();
    provedHeight = await node.rpc<number>('getblockcount');
    expect(result.block).toEqual({
      height: provedHeight,
      hash: await node.rpc<string>('getblockhash', [provedHeight]),
    });
    expect(result.message).toBe(`${TEXT} — block ${result.block.height} ${result.block.hash}`);
    expect(result.coins).toBe(3);
    expect(BigInt(result.totalSat)).toBe(nodeTotal());

    const signed = await signByTwo(packagePath);
    proofPath = join(dir, 'reserves.json');
    const finalized = await finalize(packagePath, signed, proofPath);
    expect(finalized.stderr).toBe('');
    expect(finalized.code).toBe(0);
    proof = JSON.parse(readFileSync(proofPath, 'utf8')) as ReservesProofFile;
    expect(proof).toMatchObject({
      kind: 'kura-reserves-proof',
      version: 1,
      network: 'regtest',
      message: result.message,
    });

    const reportPath = join(dir, 'report.json');
    const verified = await verify(proofPath, ['--out', reportPath]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    const report = verified.json<{
      totalSat: string;
      coins: { status: string }[];
      checks: { id: string }[];
    }>();
    expect(BigInt(report.totalSat)).toBe(nodeTotal());
    expect(report.coins.map((c) => c.status)).toEqual(['unspent', 'unspent', 'unspent']);
    expect(report.checks.map((c) => c.id)).toEqual([
      'network',
      'commitment',
      'block',
      'coins',
      'output',
      'signatures',
      'unspent',
    ]);
    expect(JSON.parse(readFileSync(reportPath, 'utf8'))).toEqual(report);

    // Every signature checked again with bitcoinjs-lib's own BIP-143 hash, not kura's sighasher.
    const tx = Transaction.fromHex(proof.proofTx);
    expect(tx.ins[0]?.witness).toEqual([]);
    tx.ins.slice(1).forEach((input, i) => {
      const coin = funding.find((f) => f.tx.getId() === Buffer.from(input.hash).reverse().toString('hex'));
      const witnessScript = input.witness.at(-1) as Uint8Array;
      const { pubkeys = [] } = payments.p2ms({ output: witnessScript });
      const hash = tx.hashForWitnessV0(
        i + 1,
        witnessScript,
        coin?.tx.outs[0]?.value ?? 0n,
        Transaction.SIGHASH_ALL,
      );
      const signatures = input.witness.slice(1, -1);
      expect(signatures).toHaveLength(2);
      for (const encoded of signatures) {
        const { signature } = bjsScript.signature.decode(encoded);
        expect(pubkeys.some((key) => ecc.verify(hash, key, signature))).toBe(true);
      }
    });

    // The node itself refuses to mine it: the commitment input spends nothing that exists.
    const refused = await node.rpc('sendrawtransaction', [proof.proofTx]).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    expect(refused).not.toBe('accepted');
  });

  describe('a tampered proof is refused with its code', () => {
    const edit = (change: (p: Editable, tx: Transaction) => void) => {
      const copy = JSON.parse(JSON.stringify(proof)) as Editable;
      const tx = Transaction.fromHex(copy.proofTx);
      change(copy, tx);
      if (copy.proofTx === proof.proofTx) copy.proofTx = tx.toHex();
      const path = join(dir, `tampered-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(path, JSON.stringify(copy));
      return path;
    };

    const cases: {
      description: string;
      change: (p: Editable, tx: Transaction) => void;
      code: string;
    }[] = [
      {
        description: 'a changed message',
        change: (p) => void (p.message = p.message.replace('ACME', 'ACNE')),
        code: 'PROOF_COMMITMENT_MISMATCH',
      },
      {
        description: 'a signature moved to another input',
        change: (_, tx) => {
          const [one, two] = [tx.ins[1], tx.ins[2]];
          if (one === undefined || two === undefined) throw new Error('two coin inputs expected');
          two.witness = [...two.witness.slice(0, 1), one.witness[1] as Uint8Array, ...two.witness.slice(2)];
        },
        code: 'PROOF_SIGNATURE_INVALID',
      },
      {
        description: 'signatures swapped between two inputs',
        change: (_, tx) => {
          const [one, two] = [tx.ins[1], tx.ins[2]];
          if (one === undefined || two === undefined) throw new Error('two coin inputs expected');
          [one.witness, two.witness] = [
            [one.witness[0] as Uint8Array, two.witness[1] as Uint8Array, ...one.witness.slice(2)],
            [two.witness[0] as Uint8Array, one.witness[1] as Uint8Array, ...two.witness.slice(2)],
          ];
        },
        code: 'PROOF_SIGNATURE_INVALID',
      },
      {
        description: 'a commitment input that is not the commitment',
        change: (_, tx) => {
          const first = tx.ins[0];
          if (first === undefined) throw new Error('no input');
          first.hash = Uint8Array.from((funding[0] as { tx: Transaction }).tx.getHash());
        },
        code: 'PROOF_COMMITMENT_MISMATCH',
      },
      {
        description: 'an extra output',
        change: (_, tx) => void tx.addOutput(deriver.derive(0, 9).scriptPubKey, 1000n),
        code: 'PROOF_OUTPUT_INVALID',
      },
      {
        description: 'a block the node does not have at that height',
        change: (p) => void (p.block = { height: p.block.height, hash: 'ab'.repeat(32) }),
        code: 'PROOF_BLOCK_MISMATCH',
      },
      {
        description: 'a coin claiming more than its output holds',
        change: (p) => {
          const coin = p.coins[0] as { valueSat: string };
          coin.valueSat = (BigInt(coin.valueSat) + 1n).toString();
        },
        code: 'PROOF_COIN_MISMATCH',
      },
      {
        description: 'a coin left out of the list',
        change: (p) => void (p.coins = p.coins.slice(1)),
        code: 'PROOF_COIN_MISMATCH',
      },
      {
        description: 'another network',
        change: (p) => void (p.network = 'testnet'),
        code: 'NODE_WRONG_NETWORK',
      },
      {
        description: 'a transaction that does not parse',
        change: (p) => void (p.proofTx = 'ff00'),
        code: 'RESERVES_PROOF_INVALID',
      },
    ];

    it.each(cases)('$description: $code', async ({ change, code }) => {
      const run = await verify(edit(change));
      expect(run.code).not.toBe(0);
      expect(errorOf(run)).toBe(code);
      expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
    });
  });

  it('reports a coin spent after the block as spent since, and still verifies; the signers withdraw it', async () => {
    // A withdrawal of the /0/1 coin, signed by the same two signers that signed the proof.
    const coin = funding.find((f) => f.index === 1);
    if (coin === undefined) throw new Error('no /0/1 coin');
    const valueSat = coin.tx.outs[0]?.value ?? 0n;
    const request = makeRequest(scenario, 40_000_000n, testDestination(601));
    const feeSat = 20_000n;
    const psbt = buildPackage(scenario, {
      coins: [{ previousTx: coin.tx.toBuffer(), vout: 0, branch: 0, index: 1 }],
      requests: [request],
      approvals: [approve(request, 0), approve(request, 2)],
      change: { index: 0, valueSat: valueSat - 40_000_000n - feeSat },
      batchId: 'after-proof',
    });
    const file = writePackage(dir, 'after-proof.psbt', psbt.toBuffer());
    const signed = [];
    for (const signer of [scenario.homes.alice, scenario.homes.carol]) {
      const run = await signOk(scenario, signer, file);
      signed.push(decodePsbt(readFileSync(run.json<{ signedPath: string }>().signedPath)));
    }
    const combined = Psbt.fromBuffer(psbt.toBuffer()).combine(...signed);
    combined.finalizeAllInputs();
    const txid = await node.broadcast(combined.extractTransaction().toHex());
    await node.mineTo(testDestination(602), 1);

    const run = await verify(proofPath);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = run.json<{
      totalSat: string;
      coins: { txid: string; status: string; spentAtHeight?: number; spentBy?: string }[];
    }>();
    expect(BigInt(report.totalSat)).toBe(nodeTotal());
    const spent = report.coins.find((c) => c.txid === coin.tx.getId());
    expect(spent).toMatchObject({ status: 'spent-since', spentAtHeight: provedHeight + 1, spentBy: txid });
    expect(report.coins.filter((c) => c.status === 'unspent')).toHaveLength(2);

    // What a person reads.
    const human = await audit(['reserves', 'verify', '--proof', proofPath, ...nodeFlags()]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Proof of reserves VERIFIED');
    expect(human.stdout).toContain(`${coin.tx.getId()}:0`);
    expect(human.stdout).toContain(`spent since, at height ${provedHeight + 1}`);
    expect(human.stdout).toContain('(1 spent since the block)');
  });

  it('refuses a proof holding a coin that was spent before its block', async () => {
    await sync();
    // prove leaves the spent coin out and takes the withdrawal's change instead.
    const fresh = await audit([
      'reserves',
      'prove',
      '--home',
      home,
      '--message',
      TEXT,
      '--out',
      join(dir, 'fresh.psbt'),
      '--json',
    ]);
    expect(fresh.code).toBe(0);
    const spentTxid = (funding.find((f) => f.index === 1) as { tx: Transaction }).tx.getId();
    const freshPackage = decodePsbt(readFileSync(join(dir, 'fresh.psbt')));
    const freshInputs = freshPackage.txInputs.map((i) => Buffer.from(i.hash).reverse().toString('hex'));
    expect(freshInputs).not.toContain(spentTxid);
    expect(fresh.json<{ coins: number }>().coins).toBe(3);

    // A package built by hand that includes the spent coin at the new tip.
    const opened = openCoordinatorHome(home);
    const tip = opened.store.tipBlock();
    opened.close();
    if (tip === undefined) throw new Error('no tip');
    const psbt = buildProofPackage({
      wallet: scenario.wallet.wallet,
      header: {
        version: 1,
        purpose: 'reserves',
        batchId: 'crafted',
        walletId: scenario.wallet.id,
        policyHash: scenario.policyHash,
      },
      message: proofMessage(TEXT, { height: tip.height, hash: tip.hash }),
      coins: funding.map((f) => ({
        previousTx: f.tx.toBuffer(),
        vout: 0,
        branch: 0 as const,
        index: f.index,
      })),
      output: { branch: 0, index: 0 },
    });
    const craftedDir = join(dir, 'crafted');
    mkdirSync(craftedDir);
    const packagePath = writePackage(craftedDir, 'crafted.psbt', psbt.toBuffer());
    const signed = await signByTwo(packagePath);
    const out = join(craftedDir, 'crafted.json');
    expect((await finalize(packagePath, signed, out)).code).toBe(0);
    const run = await verify(out);
    expect(errorOf(run)).toBe('PROOF_COIN_SPENT');
    expect(run.stderr).toContain(`${spentTxid}:0`);
  });

  describe('prove refuses', () => {
    it('a home that was never synced: RESERVES_NOT_SYNCED', async () => {
      const other = join(dir, 'coordinator-unsynced');
      const init = await kura([
        'coordinator',
        'init',
        '--home',
        other,
        '--wallet',
        scenario.walletPath,
        '--policy',
        scenario.policyPath,
        ...nodeFlags(),
      ]);
      expect(init.code).toBe(0);
      const run = await audit([
        'reserves',
        'prove',
        '--home',
        other,
        '--message',
        TEXT,
        '--out',
        join(dir, 'never.psbt'),
      ]);
      expect(errorOf(run)).toBe('RESERVES_NOT_SYNCED');
    });

    it.each([
      ['an empty message', ''],
      ['a message that names a block itself', `${TEXT} — block 1 ${'00'.repeat(32)}`],
      ['a message with a terminal escape', 'ACME\u001b[2J'],
    ])('%s: PROOF_MESSAGE_INVALID', async (_, message) => {
      const run = await audit([
        'reserves',
        'prove',
        '--home',
        home,
        '--message',
        message,
        '--out',
        join(dir, 'bad.psbt'),
      ]);
      expect(errorOf(run)).toBe('PROOF_MESSAGE_INVALID');
      expect(run.code).toBe(3);
    });
  });

  describe('the solvency statement', () => {
    let reportPath = '';

    beforeAll(async () => {
      reportPath = join(dir, 'solvency-report.json');
      expect((await verify(proofPath, ['--out', reportPath])).code).toBe(0);
    });

    async function liabilities(name: string, balances: bigint[]): Promise<string> {
      const csv = writeTemp(
        dir,
        `${name}.csv`,
        `customer_id,balance_sat\n${balances.map((b, i) => `customer-${i},${b}`).join('\n')}\n`,
      );
      const built = await buildLiabilities({
        balancesPath: csv,
        outDir: join(dir, name),
        now: Math.floor(Date.now() / 1000),
      });
      return built.rootPath;
    }

    it('says covered, as JSON and as one escaped, script-free HTML page', async () => {
      const root = await liabilities('liabilities-small', [1_000_000_000n, 2_500_000_000n]);
      const html = join(dir, 'solvency.html');
      const json = join(dir, 'solvency.json');
      const run = await audit([
        'solvency',
        '--reserves',
        reportPath,
        '--liabilities',
        root,
        '--proof',
        proofPath,
        '--html',
        html,
        '--out',
        json,
        '--json',
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const statement = run.json<{
        covered: boolean;
        reservesSat: string;
        liabilitiesSat: string;
        coverage: string;
      }>();
      expect(statement.covered).toBe(true);
      expect(BigInt(statement.reservesSat)).toBe(nodeTotal());
      expect(statement.liabilitiesSat).toBe('3500000000');
      const ratio = (nodeTotal() * 10_000n) / 3_500_000_000n;
      expect(statement.coverage).toBe(`${ratio / 10_000n}.${(ratio % 10_000n).toString().padStart(4, '0')}`);
      expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(statement);

      const page = readFileSync(html, 'utf8');
      expect(page).toContain('Reserves cover liabilities at block');
      expect(page).toContain('ACME &lt;Custody&gt; &amp; &quot;Sons&quot;');
      expect(page).not.toContain('<Custody>');
      expect(page).not.toMatch(/<script|src=|href=/i);
      expect(page).toContain("default-src 'none'");
    });

    it('says not covered when liabilities exceed the reserves', async () => {
      const root = await liabilities('liabilities-large', [nodeTotal(), 1n]);
      const run = await audit(['solvency', '--reserves', reportPath, '--liabilities', root, '--json']);
      expect(run.code).toBe(0);
      const statement = run.json<{ covered: boolean; surplusSat: string }>();
      expect(statement.covered).toBe(false);
      expect(statement.surplusSat).toBe('-1');
    });

    it('refuses a report about another proof file: SOLVENCY_INPUT_MISMATCH', async () => {
      const root = await liabilities('liabilities-other', [1n]);
      const other = writeTemp(dir, 'other-proof.json', `${readFileSync(proofPath, 'utf8')} `);
      const run = await audit([
        'solvency',
        '--reserves',
        reportPath,
        '--liabilities',
        root,
        '--proof',
        other,
      ]);
      expect(errorOf(run)).toBe('SOLVENCY_INPUT_MISMATCH');
    });
  });
});
