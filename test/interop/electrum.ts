// Electrum (the Debian package, 4.3) as one cosigner of a kura wallet, fully offline on regtest.
// Electrum holds the cosigner's key in a temporary wallet file of its own format (one multisig
// keystore per cosigner, x1/ … xN/, SLIP-132 Vpub/Vprv keys for P2WSH); a transaction goes in on
// stdin and comes back on stdout. Key material is only ever in that file (mode 0600, in a 0700
// temporary folder that is removed afterwards), never on a command line or in the environment.
// The keys are PUBLIC test keys from test/fixtures/seeds.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction, type Psbt } from 'bitcoinjs-lib';
import bs58check from 'bs58check';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import type { LoadedWallet } from '../../src/artifacts/walletFile.js';
import { formatPathWithRoot } from '../../src/bitcoin/keyExpression.js';
import { accountPrivateNode, fingerprintHex, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import type { TestSigner } from '../helpers/keys.js';

/** SLIP-132 versions Electrum uses for P2WSH multisig keys on test networks. */
const VPUB = 0x02575483;
const VPRV = 0x02575048;
/** Electrum 4.x wallet file version (wallet_db.py FINAL_SEED_VERSION in 4.3). */
const ELECTRUM_SEED_VERSION = 50;
const ELECTRUM_TIMEOUT_MS = 60_000;

function withVersion(extendedKey: string, version: number): string {
  const payload = Uint8Array.from(bs58check.decode(extendedKey));
  payload.set([version >>> 24, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff], 0);
  return bs58check.encode(payload);
}

/**
 * Fails (never skips) when Electrum is missing: CI installs it in `.ci/run`, and a developer
 * machine needs `apt-get install --no-install-recommends electrum`.
 */
export function requireElectrum(): string {
  const probe = spawnSync('electrum', ['version', '--offline'], {
    encoding: 'utf8',
    timeout: ELECTRUM_TIMEOUT_MS,
  });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'Electrum is not installed (no `electrum` on PATH): .ci/run installs it with ' +
        '`apt-get install --no-install-recommends electrum`; install it the same way to run this test. ' +
        `(${probe.error?.message ?? probe.stderr})`,
    );
  }
  return probe.stdout.trim();
}

export interface ElectrumCosigner {
  /** Runs an Electrum command against the wallet, with `stdin` for an argument given as `-`. */
  run(args: readonly string[], stdin?: string): Promise<string>;
  /** Signs a PSBT (any encoding kura accepts) with Electrum's `signtransaction`. */
  sign(psbt: Uint8Array): Promise<ElectrumResult>;
  /** Removes the wallet file and Electrum's data folder. */
  remove(): void;
}

/** What Electrum answers to signtransaction: a PSBT while signatures are missing, else a final tx. */
export type ElectrumResult = { kind: 'psbt'; psbt: Psbt } | { kind: 'transaction'; tx: Transaction };

export function parseElectrumResult(stdout: string): ElectrumResult {
  let text = stdout.trim();
  if (text.startsWith('"')) text = JSON.parse(text) as string;
  if (/^(?:[0-9a-fA-F]{2})+$/.test(text)) return { kind: 'transaction', tx: Transaction.fromHex(text) };
  return { kind: 'psbt', psbt: decodePsbt(Buffer.from(text, 'utf8')) };
}

/**
 * An Electrum multisig wallet for `wallet` in which `signer` (a public test signer) holds its
 * private key and every other cosigner is watch-only, written from the kura wallet's own keys.
 */
export function electrumCosigner(wallet: LoadedWallet, signer: TestSigner): ElectrumCosigner {
  if (wallet.wallet.network !== 'regtest') throw new Error('the Electrum cosigner is for regtest wallets');
  const master = masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS[signer], ''), 'regtest');
  const fingerprint = fingerprintHex(master);
  const dir = mkdtempSync(join(tmpdir(), 'kura-electrum-'));
  const walletPath = join(dir, 'wallet');
  const keystores: Record<string, unknown> = {};
  let found = false;
  wallet.wallet.keys.forEach((key, i) => {
    const ours = key.origin.fingerprint === fingerprint;
    let xprv: string | null = null;
    if (ours) {
      const account = accountPrivateNode(master, key.origin.path);
      if (account.neutered().toBase58() !== key.xpub)
        throw new Error(`${signer}'s key is not this wallet key`);
      xprv = withVersion(account.toBase58(), VPRV);
      found = true;
    }
    keystores[`x${i + 1}/`] = {
      type: 'bip32',
      xpub: withVersion(key.xpub, VPUB),
      xprv,
      derivation: formatPathWithRoot(key.origin.path),
      root_fingerprint: key.origin.fingerprint,
      label: `cosigner ${i + 1}`,
    };
  });
  if (!found) throw new Error(`${signer} is not a cosigner of the wallet`);
  const file = {
    seed_version: ELECTRUM_SEED_VERSION,
    use_encryption: false,
    wallet_type: `${wallet.wallet.threshold}of${wallet.wallet.keys.length}`,
    ...keystores,
  };
  writeFileSync(walletPath, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });

  const run = (args: readonly string[], stdin?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('electrum', ['--regtest', '--offline', '-D', dir, '-w', walletPath, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, HOME: dir },
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), ELECTRUM_TIMEOUT_MS);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else reject(new Error(`electrum ${args[0] ?? ''} failed (${signal ?? code}): ${stderr}${stdout}`));
      });
      child.stdin.end(stdin ?? '');
    });

  return {
    run,
    async sign(psbt) {
      const base64 = Buffer.from(decodePsbt(psbt).toBuffer()).toString('base64');
      return parseElectrumResult(await run(['signtransaction', '-'], base64));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
