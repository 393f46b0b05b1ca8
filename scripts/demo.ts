// `npm run demo`: a complete withdrawal ceremony on a local regtest node that the demo starts
// itself. Every step runs the real `kura` commands in-process, and withdrawals, approvals and
// signed files travel over the coordinator's HTTP API (the server `kura coordinator serve` runs,
// started here in-process so the demo needs no second terminal). Everything is left in one folder.
//
// The keys made here are fresh, random and on regtest; the words are written to files in the demo
// folder so that the run needs no person at the keyboard. Never do that with real keys.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { payments } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { runKura } from '../cli/main.js';
import type { Interaction } from '../src/interaction.js';
import { WalletDeriver } from '../src/bitcoin/addresses.js';
import { ecc } from '../src/bitcoin/ecc.js';
import { networkInfo } from '../src/bitcoin/networks.js';
import { formatBtc } from '../src/approvals/approval.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { openCoordinatorHome } from '../src/coordinator/home.js';
import { startCoordinatorServer } from '../src/coordinator/http/index.js';
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

    step('Coordinator: its home on the online machine, pointed at the node; API tokens per role');
    const coordinator = file('coordinator');
    const rpcPassword = file('rpc-password.txt');
    writeFileSync(rpcPassword, `${node.rpcAuth.password}\n`, { mode: 0o600 });
    await kura([
      'coordinator',
      'init',
      '--home',
      coordinator,
      '--wallet',
      walletPath,
      '--policy',
      policyPath,
      '--rpc-url',
      node.rpcUrl,
      '--rpc-user',
      node.rpcAuth.username,
      '--rpc-password-file',
      rpcPassword,
    ]);
    const tokens: Record<string, string> = {};
    for (const role of ['intake', 'officer', 'operator', 'auditor']) {
      const made = await kura<{ token: string; tokenId: string }>([
        'coordinator',
        'token',
        'create',
        '--home',
        coordinator,
        '--role',
        role,
        '--label',
        `demo ${role}`,
      ]);
      tokens[role] = made.token;
    }
    show(`home ${rel(coordinator)}; tokens for intake, officer, operator and auditor`);
    const home = openCoordinatorHome(coordinator);
    const server = await startCoordinatorServer({ home, listen: { host: '127.0.0.1', port: 0 } });
    const api = (method: string, path: string, role: string, body?: string | Uint8Array, headers = {}) =>
      callApi(server.url, method, path, tokens[role] ?? '', body, headers);
    show(`HTTP API (what kura coordinator serve runs) at ${server.url}`);

    try {
      step('Funding: mine a block to the wallet, then 432 more (segwit on bcoin, coinbase maturity)');
      const loaded = parseWalletFile(readJsonFile(walletPath));
      const receive = new WalletDeriver(loaded.wallet).derive(0, 0);
      const miner = payments.p2wpkh({
        pubkey: ecc.pointFromScalar(randomBytes(32), true) as Uint8Array,
        network: networkInfo('regtest').bitcoinjs,
      }).address as string;
      const [fundingHash] = await node.mineTo(receive.address, 1);
      const height = await node.ensureSegwit(miner);
      show(`a coinbase to ${receive.address} (block ${fundingHash?.slice(0, 16)}…), tip at ${height}`);
      const synced = await kura<{ blocksScanned: number; balance: Record<string, string> }>([
        'coordinator',
        'sync',
        '--home',
        coordinator,
      ]);
      show(
        `kura coordinator sync: ${synced.blocksScanned} blocks scanned, balance ${btc(synced.balance.confirmedSat)} BTC confirmed`,
      );

      step('Withdrawals: three requests over the HTTP API; the policy refuses one at once');
      const customers = [0.5, 0.25, 3].map((amount) => ({
        amount,
        address: payments.p2wpkh({
          pubkey: ecc.pointFromScalar(randomBytes(32), true) as Uint8Array,
          network: networkInfo('regtest').bitcoinjs,
        }).address as string,
      }));
      const accepted: string[] = [];
      for (const [i, c] of customers.entries()) {
        const amountSat = BigInt(Math.round(c.amount * 1e8)).toString();
        const reply = await api(
          'POST',
          '/v1/withdrawals',
          'intake',
          JSON.stringify({ destination: c.address, amountSat }),
          {
            'Idempotency-Key': `demo-order-${i + 1}`,
          },
        );
        if (reply.status === 201) {
          const w = reply.json.withdrawal as { requestId: string; state: string };
          accepted.push(w.requestId);
          show(`order ${i + 1}: ${c.amount} BTC to ${c.address} → ${w.state} (${w.requestId.slice(0, 16)}…)`);
        } else {
          const error = reply.json.error as { code: string; reasons?: { message: string }[] };
          const reasons = (error.reasons ?? []).map((r) => r.message).join('; ');
          show(`order ${i + 1}: ${c.amount} BTC → HTTP ${reply.status} ${error.code}: ${reasons}`);
        }
      }

      step('Approvals: each officer reviews each request on their workstation and signs an approval');
      for (const [i, requestId] of accepted.entries()) {
        const requestPath = file(`request-${i + 1}.json`);
        await kura(['request', 'show', '--home', coordinator, requestId, '--out', requestPath]);
        for (const o of officers) {
          const out = file(`request-${i + 1}.${o.id}.approval.json`);
          await kura([
            'officer',
            'approve',
            '--key',
            officerKeys[o.id]?.key ?? '',
            '--request',
            requestPath,
            '--out',
            out,
            '--passphrase-file',
            passphrase,
            '--yes',
          ]);
          const posted = await api(
            'POST',
            `/v1/withdrawals/${requestId}/approvals`,
            'officer',
            readFileSync(out, 'utf8'),
          );
          const state =
            (posted.json.withdrawal as { state?: string } | undefined)?.state ?? `HTTP ${posted.status}`;
          show(`${o.id} approved request ${i + 1} (${rel(out)}) → ${state}`);
        }
      }

      step('Batch: the coordinator pays the approved requests in one PSBT and locks its coins');
      const outDir = file('batches');
      const built = await kura<{
        batches: { batchId: string; path: string; feeSat: string; payments: unknown[] }[];
      }>(['batch', 'build', '--home', coordinator, '--out', outDir]);
      const batch = built.batches[0];
      if (batch === undefined) throw new Error('no batch was built');
      show(`${rel(batch.path)}: ${batch.payments.length} payments, fee ${batch.feeSat} sats`);

      step('Signing: signer-a and signer-b check everything offline, sign, and hand the files back');
      for (const name of ['signer-a', 'signer-b']) {
        const result = await kura<{ signedPath: string }>([
          'signer',
          'sign',
          batch.path,
          '--home',
          homes[name] ?? '',
          '--passphrase-file',
          passphrase,
          '--yes',
        ]);
        const posted = await api(
          'POST',
          `/v1/batches/${batch.batchId}/signatures`,
          'operator',
          new Uint8Array(readFileSync(result.signedPath)),
        );
        const progress = posted.json.batch as { state: string; inputsReady: number; inputs: number };
        show(
          `${name} signed → ${rel(result.signedPath)}; imported: ${progress.inputsReady}/${progress.inputs} inputs ready, batch ${progress.state}`,
        );
      }

      step('Broadcast: the node must hold the transaction in its mempool; then a block confirms it');
      const sent = await kura<{ txid: string; located: { where: string } }>([
        'batch',
        'broadcast',
        '--home',
        coordinator,
        batch.batchId,
      ]);
      show(`${sent.txid} is in the node's ${sent.located.where}`);
      await node.mineTo(miner, 1);
      await kura(['coordinator', 'sync', '--home', coordinator]);
      for (const requestId of accepted) {
        const shown = await api('GET', `/v1/withdrawals/${requestId}`, 'auditor');
        const w = shown.json.withdrawal as { state: string; amountSat: string; destination: string };
        show(`${btc(w.amountSat)} BTC to ${w.destination}: ${w.state}`);
      }
      const status = await kura<{ balance: Record<string, string> }>([
        'coordinator',
        'status',
        '--home',
        coordinator,
      ]);
      show(
        `balance: ${btc(status.balance.confirmedSat)} BTC confirmed, ${btc(status.balance.unconfirmedSat)} unconfirmed, ${btc(status.balance.lockedSat)} locked`,
      );
    } finally {
      await server.close();
      home.close();
    }

    step("Evidence: each signer's ledger verifies; an auditor verifies the coordinator's log against them");
    const ledgers: string[] = [];
    for (const [name, home] of Object.entries(homes)) {
      const ledger = await kura<{ entries: number; head: string }>([
        'signer',
        'ledger',
        'verify',
        '--home',
        home,
      ]);
      const exported = file(`${name}.ledger.jsonl`);
      await kura(['signer', 'ledger', 'export', '--home', home, '--out', exported]);
      ledgers.push(exported);
      show(`${name}: ${ledger.entries} entries, head ${ledger.head.slice(0, 16)}… → ${rel(exported)}`);
    }
    const logPath = file('coordinator.audit.jsonl');
    await kura(['audit', 'log', 'export', '--home', coordinator, '--out', logPath]);
    const verified = await kura<{ entries: number; head: string }>(['audit', 'log', 'verify', logPath]);
    show(
      `coordinator log: ${verified.entries} entries, hash chain intact, head ${verified.head.slice(0, 16)}…`,
    );
    const reconciled = await kura<{ checked: { signatures: number; broadcasts: number } }>([
      'audit',
      'reconcile',
      '--log',
      logPath,
      '--ledger',
      ...ledgers,
      '--wallet',
      walletPath,
    ]);
    show(
      `reconciled: ${reconciled.checked.signatures} signer signatures and ${reconciled.checked.broadcasts} broadcast(s) all match the log`,
    );

    step(
      'Reserves and liabilities: a BIP-127 proof signed offline, verified against the node, and the solvency statement',
    );
    const proofPackage = file('reserves.psbt');
    const proved = await kura<{ coins: number; totalSat: string; message: string }>([
      'audit',
      'reserves',
      'prove',
      '--home',
      coordinator,
      '--message',
      'kura demo custodian, quarterly attestation',
      '--out',
      proofPackage,
    ]);
    show(
      `${rel(proofPackage)}: ${proved.coins} coin(s), ${btc(proved.totalSat)} BTC, message "${proved.message}"`,
    );
    const proofSigned: string[] = [];
    for (const name of ['signer-a', 'signer-c']) {
      const result = await kura<{ signedPath: string }>([
        'signer',
        'sign',
        proofPackage,
        '--home',
        homes[name] ?? '',
        '--passphrase-file',
        passphrase,
        '--yes',
      ]);
      proofSigned.push(result.signedPath);
      show(`${name} recognised the proof (no approvals needed) and signed → ${rel(result.signedPath)}`);
    }
    const proofPath = file('reserves.proof.json');
    await kura([
      'audit',
      'reserves',
      'finalize',
      '--home',
      coordinator,
      '--package',
      proofPackage,
      ...proofSigned.flatMap((f) => ['--signed', f]),
      '--out',
      proofPath,
    ]);
    const reportPath = file('reserves.report.json');
    const report = await kura<{ totalSat: string; coins: unknown[] }>([
      'audit',
      'reserves',
      'verify',
      '--proof',
      proofPath,
      '--rpc-url',
      node.rpcUrl,
      '--rpc-user',
      node.rpcAuth.username,
      '--rpc-password-file',
      rpcPassword,
      '--out',
      reportPath,
    ]);
    show(
      `auditor's node: proof verified, ${btc(report.totalSat)} BTC in ${report.coins.length} coin(s) → ${rel(reportPath)}`,
    );
    const balancesPath = file('customer-balances.csv');
    writeFileSync(
      balancesPath,
      'customer_id,balance_sat\nalice,2500000000\nbob,1200000000\ncarol,800000000\n',
    );
    const liabilitiesDir = file('liabilities');
    const tree = await kura<{ root: { totalSat: string; count: number } }>([
      'audit',
      'liabilities',
      'build',
      '--balances',
      balancesPath,
      '--out',
      liabilitiesDir,
    ]);
    show(
      `liabilities: ${tree.root.count} customers, ${btc(tree.root.totalSat)} BTC, one inclusion proof each in ${rel(liabilitiesDir)}`,
    );
    const solvencyHtml = file('solvency.html');
    const solvency = await kura<{ covered: boolean; coverage: string | number }>([
      'audit',
      'solvency',
      '--reserves',
      reportPath,
      '--liabilities',
      join(liabilitiesDir, 'root.json'),
      '--proof',
      proofPath,
      '--html',
      solvencyHtml,
    ]);
    show(
      `${solvency.covered ? 'COVERED' : 'NOT COVERED'} (coverage ${String(solvency.coverage)}) → ${rel(solvencyHtml)}`,
    );
    process.stdout.write(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Files: ${rel(root)}\n`);
  } finally {
    await node.stop();
  }
}

const btc = (sats: string | undefined): string => formatBtc(BigInt(sats ?? '0'));

/** One call to the coordinator's HTTP API with a bearer token; the JSON reply, parsed. */
async function callApi(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(typeof body === 'string' ? { 'Content-Type': 'application/json' } : {}),
      ...(body instanceof Uint8Array ? { 'Content-Type': 'application/octet-stream' } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
