// The signer benchmark's material, built in memory from the PUBLIC test mnemonics (never real
// keys): a 2-of-3 regtest wallet, a policy, a signer state as `kura signer sign` loads it, and
// signing packages of any size that spend one coin per distinct previous transaction (the worst
// case for hashing previous transactions) and pay ten approved requests with change.
import { randomBytes } from 'node:crypto';
import { payments, Transaction } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc, type BIP32Interface } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { approvalHash, destinationScript, type WithdrawalRequest } from '../../src/approvals/request.js';
import { buildSigningPackage, type PackageCoin, type PackageSpec } from '../../src/artifacts/buildPackage.js';
import { cosignerFileFor } from '../../src/artifacts/cosignerFile.js';
import type { PackagedApproval } from '../../src/artifacts/kuraFields.js';
import { createWallet } from '../../src/artifacts/walletCreate.js';
import { parseWalletFile, type LoadedWallet } from '../../src/artifacts/walletFile.js';
import { accountKeyFromMaster, accountPrivateNode, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { parsePolicy, policyHashOf } from '../../src/policy/schema.js';
import { LedgerView } from '../../src/signer/ledger.js';
import type { SignerState } from '../../src/signer/review.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';

const OFFICER_KEYS = ['01', '02', '03'].map((b) => hexToBytes('00'.repeat(31) + b));
const COIN_SAT = 1_000_000n;
const REQUESTS = 10;

export interface BenchSigner {
  readonly state: SignerState;
  /** The signer's unlocked BIP-48 account node (unlocking the keystore is not measured). */
  readonly account: BIP32Interface;
  readonly fingerprint: string;
  readonly wallet: LoadedWallet;
  readonly policyHash: string;
  /** The policy file's bytes (what a coordinator home or a signer pins). */
  readonly policyBytes: Uint8Array;
}

/** Signer `cosigner` (0, 1, 2: the PUBLIC test mnemonics in order) of the same bench wallet. */
export function benchSigner(cosigner = 0): BenchSigner {
  const masters = Object.values(PUBLIC_TEST_MNEMONICS).map((m) =>
    masterFromSeed(mnemonicToSeed(m, ''), 'regtest'),
  );
  const keys = masters.map((m) => accountKeyFromMaster(m, 'regtest', 0));
  const walletFile = createWallet({
    threshold: 2,
    cosigners: keys.map((k) => cosignerFileFor(k).keyOrigin),
    name: 'bench',
    network: 'regtest',
  });
  const wallet = parseWalletFile(JSON.parse(JSON.stringify(walletFile)));
  const policyBytes = utf8ToBytes(
    JSON.stringify({
      kind: 'kura-policy',
      version: 1,
      network: 'regtest',
      walletId: wallet.id,
      officers: OFFICER_KEYS.map((k, i) => ({
        id: `officer-${i + 1}`,
        role: 'operations',
        publicKey: bytesToHex(ecc.xOnlyPointFromScalar(k)),
      })),
      tiers: [{ upToSat: 100_000_000_000, approvals: 2, requiredRoles: [], delaySeconds: 0 }],
      limits: {
        perWithdrawalSat: 100_000_000_000,
        rolling24h: { amountSat: 2_000_000_000_000, count: 1000 },
      },
      allowlist: { enforced: false, coolingSeconds: 0, entries: [] },
      fees: { maxFeeRateSatVb: 1000, maxFeeSat: 100_000_000, maxFeePercent: 50 },
      approvalExpirySeconds: 7 * 86_400,
    }),
  );
  const policyHash = policyHashOf(policyBytes);
  const key = keys[cosigner];
  const master = masters[cosigner];
  if (key === undefined || master === undefined) throw new Error('no bench key');
  return {
    state: {
      wallet,
      ownKey: key,
      policy: { policy: parsePolicy(policyBytes), policyHash },
      ledger: new LedgerView([]),
    },
    account: accountPrivateNode(master, key.origin.path),
    fingerprint: key.origin.fingerprint,
    wallet,
    policyHash,
    policyBytes,
  };
}

function destination(n: number): string {
  // P2WPKH addresses of PUBLIC test keys 0x…0100 onward
  const key = ecc.pointFromScalar(hexToBytes((0x100 + n).toString(16).padStart(64, '0')), true);
  if (key === null) throw new Error('bad test key');
  return payments.p2wpkh({ pubkey: key, network: networkInfo('regtest').bitcoinjs }).address as string;
}

/**
 * What `kura batch build` hands to buildSigningPackage: `inputs` coins of 0.01 BTC, each from its
 * own previous transaction (one input, two outputs: like a customer deposit), paying ten requests
 * approved by two officers, with change.
 */
export function benchSpec(signer: BenchSigner, inputs: number, now: number): PackageSpec {
  const deriver = new WalletDeriver(signer.wallet.wallet);
  const coins: PackageCoin[] = [];
  for (let i = 0; i < inputs; i++) {
    const prev = new Transaction();
    prev.version = 2;
    prev.addInput(randomBytes(32), 0);
    prev.addOutput(hexToBytes('0014' + '11'.repeat(20)), 54_321n);
    prev.addOutput(deriver.derive(0, i).scriptPubKey, COIN_SAT);
    coins.push({ previousTx: prev.toBuffer(), vout: 1, branch: 0, index: i });
  }
  const totalIn = COIN_SAT * BigInt(inputs);
  const each = totalIn / BigInt(REQUESTS * 2);
  const requests: WithdrawalRequest[] = [];
  for (let n = 0; n < REQUESTS; n++) {
    const address = destination(n);
    requests.push({
      walletId: signer.wallet.id,
      requestId: bytesToHex(randomBytes(32)),
      network: 'regtest',
      destination: address,
      scriptPubKey: destinationScript(address, 'regtest'),
      amountSat: each,
      policyHash: signer.policyHash,
      expiresAt: now + 86_400,
    });
  }
  const approvals: PackagedApproval[] = requests.flatMap((request) =>
    OFFICER_KEYS.slice(0, 2).map((privateKey) => ({
      requestId: request.requestId,
      officerPublicKey: bytesToHex(ecc.xOnlyPointFromScalar(privateKey)),
      approvedAt: now - 600,
      signature: bytesToHex(
        ecc.signSchnorr(approvalHash(request, now - 600), privateKey, new Uint8Array(32)),
      ),
    })),
  );
  // A fee of 20 sat/vB on an upper bound of 140 vB per 2-of-3 input.
  const fee = BigInt(inputs) * 140n * 20n + 2_000n;
  return {
    wallet: signer.wallet.wallet,
    header: {
      version: 1,
      purpose: 'withdrawal',
      batchId: `bench-${inputs}`,
      walletId: signer.wallet.id,
      policyHash: signer.policyHash,
    },
    coins,
    requests,
    approvals,
    change: { index: 0, valueSat: totalIn - each * BigInt(REQUESTS) - fee },
  };
}

/** The signing package of {@link benchSpec} as PSBT bytes. */
export function benchPackage(signer: BenchSigner, inputs: number, now: number): Uint8Array {
  return buildSigningPackage(benchSpec(signer, inputs, now)).toBuffer();
}
