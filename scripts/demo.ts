// `npm run demo`: a complete withdrawal ceremony on a local regtest node that the demo starts
// itself. Every step runs the real `kura` commands in-process; the one step a person would do on
// the online coordinator (gathering requests and approvals into a batch PSBT) is done here with the
// same library calls until the coordinator's own commands exist. Everything is left in one folder.
//
// The keys made here are fresh, random and on regtest; the words are written to files in the demo
// folder so that the run needs no person at the keyboard. Never do that with real keys.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Block, Psbt, payments } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { runKura } from '../cli/main.js';
import type { Interaction } from '../src/interaction.js';
import { WalletDeriver } from '../src/bitcoin/addresses.js';
import { ecc } from '../src/bitcoin/ecc.js';
import { networkInfo } from '../src/bitcoin/networks.js';
import {
  destinationScript,
  parseRequest,
  requestToJson,
  type WithdrawalRequest,
} from '../src/approvals/request.js';
import { formatBtc, parseApproval, verifyApproval } from '../src/approvals/approval.js';
import { buildSigningPackage } from '../src/artifacts/buildPackage.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { decodePsbt } from '../src/artifacts/psbtFile.js';
import { parseWalletFile } from '../src/artifacts/walletFile.js';
import { policyHashOf } from '../src/policy/schema.js';
import { startRegtestNode } from '../test/helpers/regtest.js';

const root = resolve(
  process.env.KURA_DEMO_DIR ?? '.kura-demo',
  new Date().toISOString().replace(/[:.]/g, '-'),
);
const started = Date.now();
let stepNumber = 0;

function step(title: string): void {
  stepNumber += 1;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\n[${seconds}s] ${stepNumber}. ${title}\n`);
}

function show(line: string): void {
  process.stdout.write(`   ${line}\n`);
}

const file = (...parts: string[]) => join(root, ...parts);
const rel = (path: string) => relative(process.cwd(), path);

/** The demo answers no prompts: every command runs with --yes and passphrase files. */
const quiet: Interaction = {
  interactive: false,
  say: () => undefined,
  warn: () => undefined,
  ask: () => Promise.reject(new Error('the demo answers no prompts')),
  secret: () => Promise.reject(new Error('the demo answers no prompts')),
};

/** Runs `kura …` and returns its --json output; stops the demo on any refusal it did not expect. */
async function kura<T = Record<string, unknown>>(args: string[], expectRefusal = false): Promise<T> {
  let out = '';
  let err = '';
  const code = await runKura([...args, '--json'], {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    interaction: quiet,
  });
  if ((code !== 0) !== expectRefusal) {
    throw new Error(`kura ${args.join(' ')} exited ${code}: ${err.trim() || out.trim()}`);
  }
  return JSON.parse(out) as T;
}

async function main(): Promise<void> {
  mkdirSync(root, { recursive: true });
  process.stdout.write(`kura demo — everything it makes is kept in ${rel(root)}\n`);
  const passphrase = file('passphrase.txt');
  writeFileSync(passphrase, `demo passphrase ${bytesToHex(randomBytes(8))}\n`, { mode: 0o600 });

  step('Start a local regtest node (bcoin on 127.0.0.1)');
  const node = await startRegtestNode();
  try {
    show(`node: ${node.kind} at ${node.rpcUrl}`);

    step('Key ceremony: three cosigners create their cold keys (offline, one machine each)');
    const homes: Record<string, string> = {};
    for (const name of ['signer-a', 'signer-b', 'signer-c']) {
      homes[name] = file(name);
      const created = await kura<{ cosigner: { fingerprint: string; keyOrigin: string } }>([
        'keys',
        'create',
        '--home',
        homes[name],
        '--network',
        'regtest',
        '--unattended',
        '--words-out',
        file(`${name}.words.txt`),
        '--passphrase-file',
        passphrase,
      ]);
      show(`${name}: key ${created.cosigner.fingerprint}  ${created.cosigner.keyOrigin.slice(0, 40)}…`);
    }

    step('Wallet: 2-of-3 wsh(sortedmulti) from the three cosigner files');
    const walletPath = file('treasury.wallet.json');
    const wallet = await kura<{ walletId: string; descriptor: string }>([
      'wallet',
      'create',
      '--threshold',
      '2',
      '--name',
      'treasury',
      '--out',
      walletPath,
      ...Object.values(homes).flatMap((h) => ['--cosigner', join(h, 'cosigner.json')]),
    ]);
    show(`wallet id ${wallet.walletId}`);
    show(`descriptor ${wallet.descriptor.slice(0, 60)}…`);

    step('Registration: each signer checks its own key is in the wallet and pins it');
    for (const [name, home] of Object.entries(homes)) {
      const review = await kura<{ position: number; firstReceiveAddress: string }>([
        'signer',
        'register',
        '--home',
        home,
        '--wallet',
        walletPath,
        '--yes',
      ]);
      show(`${name}: key ${review.position} of 3, first address ${review.firstReceiveAddress}`);
    }

    step('Officers: two approval keys (BIP-340) for the policy');
    const officers = [
      { id: 'ops-alice', role: 'operations' },
      { id: 'sec-bob', role: 'security' },
    ];
    const officerKeys: Record<string, { key: string; publicKey: string }> = {};
    for (const o of officers) {
      const key = file(`${o.id}.officer-key.json`);
      const made = await kura<{ publicKey: string }>([
        'officer',
        'keys',
        'create',
        '--out',
        key,
        '--id',
        o.id,
        '--passphrase-file',
        passphrase,
      ]);
      officerKeys[o.id] = { key, publicKey: made.publicKey };
      show(`${o.id} (${o.role}): ${made.publicKey}`);
    }

    step('Policy: tiers, limits and fee caps, pinned on every signer by hash');
    const policy = {
      kind: 'kura-policy',
      version: 1,
      description: 'demo treasury policy',
      network: 'regtest',
      walletId: wallet.walletId,
      officers: officers.map((o) => ({ ...o, publicKey: officerKeys[o.id]?.publicKey })),
      tiers: [{ upToSat: 100_000_000, approvals: 2, requiredRoles: ['security'], delaySeconds: 0 }],
      limits: { perWithdrawalSat: 100_000_000, rolling24h: { amountSat: 500_000_000, count: 50 } },
      allowlist: { enforced: false, coolingSeconds: 86_400, entries: [] },
      fees: { maxFeeRateSatVb: 100, maxFeeSat: 100_000, maxFeePercent: 2 },
      approvalExpirySeconds: 86_400,
    };
    const policyPath = file('policy.json');
    writeFileSync(policyPath, `${JSON.stringify(policy, null, 2)}\n`);
    const policyHash = policyHashOf(readFileSync(policyPath));
    show(`policy hash ${policyHash}: 2 approvals incl. security up to 1 BTC, 1 BTC per withdrawal`);
    for (const home of Object.values(homes)) {
      await kura(['signer', 'policy', '--home', home, '--policy', policyPath, '--yes']);
    }
    show('pinned on signer-a, signer-b and signer-c');

    step('Funding: mine a block to the wallet, then 432 more (segwit on bcoin, coinbase maturity)');
    const loaded = parseWalletFile(readJsonFile(walletPath));
    const receive = new WalletDeriver(loaded.wallet).derive(0, 0);
    const miner = payments.p2wpkh({
      pubkey: ecc.pointFromScalar(randomBytes(32), true) as Uint8Array,
      network: networkInfo('regtest').bitcoinjs,
    }).address as string;
    const [fundingHash] = await node.mineTo(receive.address, 1);
    const height = await node.ensureSegwit(miner);
    const coinbase = Block.fromHex(await node.rpc<string>('getblock', [fundingHash, 0])).transactions?.[0];
    if (coinbase === undefined) throw new Error('the funding block has no coinbase');
    const coinSat = coinbase.outs[0]?.value ?? 0n;
    show(
      `${formatBtc(coinSat)} BTC to ${receive.address} (block ${fundingHash?.slice(0, 16)}…), tip at ${height}`,
    );

    step('Withdrawal requests: two within policy, one that the policy refuses');
    const now = Math.floor(Date.now() / 1000);
    const customers = [0.5, 0.25, 3].map((btc) => ({
      btc,
      address: payments.p2wpkh({
        pubkey: ecc.pointFromScalar(randomBytes(32), true) as Uint8Array,
        network: networkInfo('regtest').bitcoinjs,
      }).address as string,
    }));
    const requestFiles: string[] = [];
    const requests: WithdrawalRequest[] = [];
    for (const [i, c] of customers.entries()) {
      const request: WithdrawalRequest = {
        walletId: wallet.walletId,
        requestId: bytesToHex(randomBytes(32)),
        network: 'regtest',
        destination: c.address,
        scriptPubKey: destinationScript(c.address, 'regtest'),
        amountSat: BigInt(Math.round(c.btc * 1e8)),
        policyHash,
        expiresAt: now + 86_400,
      };
      const path = file(`request-${i + 1}.json`);
      writeFileSync(path, `${JSON.stringify(requestToJson(request), null, 2)}\n`);
      const check = await runCheck(policyPath, path);
      show(`request ${i + 1}: ${formatBtc(request.amountSat)} BTC to ${c.address} → ${check}`);
      if (check.startsWith('acceptable')) {
        requests.push(request);
        requestFiles.push(path);
      }
    }

    step('Approvals: each officer reviews each acceptable request and signs an approval');
    const approvalFiles: string[] = [];
    for (const [i, path] of requestFiles.entries()) {
      for (const o of officers) {
        const out = file(`request-${i + 1}.${o.id}.approval.json`);
        await kura([
          'officer',
          'approve',
          '--key',
          officerKeys[o.id]?.key ?? '',
          '--request',
          path,
          '--out',
          out,
          '--passphrase-file',
          passphrase,
          '--yes',
        ]);
        approvalFiles.push(out);
        show(`${o.id} approved request ${i + 1} → ${rel(out)}`);
      }
    }

    step('Batch: the approved requests become one PSBT (the coordinator’s job, done here for now)');
    const approvals = approvalFiles.map((path) => {
      const approval = parseApproval(readJsonFile(path));
      const request = requests.find((r) => r.requestId === approval.requestId);
      if (request === undefined) throw new Error(`approval ${path} names no request`);
      const verified = verifyApproval(approval, parseRequest(requestToJson(request)));
      return { requestId: approval.requestId, ...verified, signature: approval.signature };
    });
    const paymentsSat = requests.reduce((sum, r) => sum + r.amountSat, 0n);
    const feeSat = 5_000n;
    const batchId = 'demo-batch-1';
    const psbt = buildSigningPackage({
      wallet: loaded.wallet,
      header: { version: 1, purpose: 'withdrawal', batchId, walletId: wallet.walletId, policyHash },
      coins: [{ previousTx: coinbase.toBuffer(), vout: 0, branch: 0, index: 0 }],
      requests,
      approvals,
      change: { index: 0, valueSat: coinSat - paymentsSat - feeSat },
    });
    const batchPath = file(`${batchId}.psbt`);
    writeFileSync(batchPath, psbt.toBuffer());
    show(`${rel(batchPath)}: ${requests.length} payments, ${formatBtc(paymentsSat)} BTC, fee ${feeSat} sats`);

    step('Signing: signer-a and signer-b check everything offline and sign their copies');
    const signed: Psbt[] = [];
    for (const name of ['signer-a', 'signer-b']) {
      const result = await kura<{ signedPath: string; txid: string }>([
        'signer',
        'sign',
        batchPath,
        '--home',
        homes[name] ?? '',
        '--passphrase-file',
        passphrase,
        '--yes',
      ]);
      signed.push(decodePsbt(readFileSync(result.signedPath)));
      show(`${name} signed → ${rel(result.signedPath)}`);
    }

    step('Combine, finalize and broadcast; the node confirms it has the transaction');
    const combined = Psbt.fromBuffer(psbt.toBuffer()).combine(...signed);
    combined.finalizeAllInputs();
    const tx = combined.extractTransaction();
    writeFileSync(file(`${batchId}.tx.hex`), `${tx.toHex()}\n`);
    const txid = await node.broadcast(tx.toHex());
    show(`in the mempool: ${txid}`);
    const [confirmedIn] = await node.mineTo(miner, 1);
    const block = Block.fromHex(await node.rpc<string>('getblock', [confirmedIn, 0]));
    const included = block.transactions?.some((t) => t.getId() === txid) ?? false;
    show(`${included ? 'confirmed' : 'NOT confirmed'} in block ${confirmedIn}`);
    if (!included) throw new Error('the withdrawal was not mined');

    step("Evidence: each signer's ledger verifies");
    for (const [name, home] of Object.entries(homes)) {
      const ledger = await kura<{ entries: number; head: string }>([
        'signer',
        'ledger',
        'verify',
        '--home',
        home,
      ]);
      show(`${name}: ${ledger.entries} entries, head ${ledger.head.slice(0, 16)}…`);
    }
    process.stdout.write(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Files: ${rel(root)}\n`);
  } finally {
    await node.stop();
  }
}

/** `kura policy check` in words: acceptable (with what it still needs) or every refusal reason. */
async function runCheck(policyPath: string, requestPath: string): Promise<string> {
  let out = '';
  const code = await runKura(
    ['policy', 'check', '--policy', policyPath, '--request', requestPath, '--json'],
    {
      out: (t) => void (out += t),
      err: () => undefined,
      interaction: quiet,
    },
  );
  const json = JSON.parse(out) as {
    error?: { code: string; details?: { reasons?: { code: string; message: string }[] } };
  };
  if (code === 0) return 'acceptable, needs approvals';
  const reasons = json.error?.details?.reasons ?? [];
  return `REFUSED (${json.error?.code}): ${reasons.map((r) => r.message).join('; ')}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
