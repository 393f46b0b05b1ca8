// `kura signer sign`: load the signer's own state, review the package, ask the operator, unlock
// the key, sign, record the signature in the ledger, and write the signed file. The ledger entry
// is written before the file: a crash in between leaves a recorded signature that the next run
// recognises as the same transaction, never an unrecorded one. A package whose header says
// 'reserves' is a proof of reserves (BIP-127): reviewed by reviewProof.ts, signed without
// approvals, and recorded as a 'proof' entry.
import { basename, dirname, join } from 'node:path';
import type { Psbt } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';
import type { Interaction } from '../interaction.js';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import { readPackage } from '../artifacts/kuraFields.js';
import { decodePsbt, detectEncoding, encodePsbt, readPsbtBytes } from '../artifacts/psbtFile.js';
import { accountPrivateNode, masterFromSeed } from '../keys/account.js';
import { readExistingPassphrase, showKey } from '../keys/ceremony.js';
import { openKeystore } from '../keys/keystore.js';
import { mnemonicToSeed } from '../keys/mnemonic.js';
import { loadKeystoreFile } from './home.js';
import { appendLedger, LedgerView, readLedger, type ProofEntryData, type SignedEntryData } from './ledger.js';
import { checkPolicyForWallet, loadPinnedPolicy } from './policyPin.js';
import { signedFile, signInputs, type OwnSignature, type SigningReceipt } from './produceSignatures.js';
import { loadRegisteredWallet } from './register.js';
import { reviewPackage, type Review, type SignerState } from './review.js';
import { reviewProof, type ProofReview } from './reviewProof.js';
import { proofReviewLines, reviewLines } from './reviewScreen.js';

export function loadSignerState(home: string): SignerState {
  const { key } = showKey(home);
  const wallet = loadRegisteredWallet(home);
  if (wallet === undefined) {
    throw new KuraError(
      'WALLET_NOT_REGISTERED',
      'this signer has no registered wallet; run kura signer register',
      {
        field: 'wallet',
      },
    );
  }
  const policy = loadPinnedPolicy(home);
  checkPolicyForWallet(policy, wallet);
  return { wallet, ownKey: key, policy, ledger: new LedgerView(readLedger(home)) };
}

export interface SignOptions {
  readonly home: string;
  readonly psbtPath: string;
  readonly outDir?: string | undefined;
  readonly yes: boolean;
  readonly passphraseFile?: string | undefined;
  readonly now: number;
}

export interface SignResult {
  readonly review: Review;
  readonly signedPath: string;
  readonly receipt: SigningReceipt;
}

export interface ProofSignResult {
  readonly proof: ProofReview;
  readonly signedPath: string;
  readonly receipt: SigningReceipt;
}

/** What `kura signer sign` did: a withdrawal signed, or a proof of reserves signed. */
export type SignOutcome =
  ({ readonly purpose: 'withdrawal' } & SignResult) | ({ readonly purpose: 'reserves' } & ProofSignResult);

async function confirm(options: SignOptions, io: Interaction, what: string): Promise<void> {
  if (options.yes) return;
  if (!io.interactive) {
    throw new KuraError('INTERACTIVE_REQUIRED', 'no terminal to confirm: review the output and pass --yes', {
      field: 'yes',
    });
  }
  if ((await io.ask(`Type "sign" to sign this ${what}: `)).trim() !== 'sign') {
    throw new KuraError('CONFIRMATION_DECLINED', 'not signed; nothing was written', { field: 'confirm' });
  }
}

/** Unlocks the keystore and proves the key is the one this signer registered. */
async function unlockAccount(options: SignOptions, state: SignerState, io: Interaction) {
  const keystore = loadKeystoreFile(options.home);
  const secret = openKeystore(keystore, await readExistingPassphrase(options.passphraseFile, io));
  const master = masterFromSeed(mnemonicToSeed(secret.mnemonic, secret.bip39Passphrase), keystore.network);
  const account = accountPrivateNode(master, state.ownKey.origin.path);
  if (account.neutered().toBase58() !== state.ownKey.xpub) {
    throw new KuraError('KEYSTORE_CORRUPT', 'the unlocked key is not the key this signer registered', {
      field: 'xpub',
    });
  }
  return account;
}

/** Writes `<batch>.<fingerprint>.signed.psbt` atomically, in the encoding the package came in. */
function writeSignedFile(
  options: SignOptions,
  content: Uint8Array,
  psbt: Psbt,
  signatures: readonly OwnSignature[],
  receipt: SigningReceipt,
): string {
  const outDir = options.outDir ?? dirname(options.psbtPath);
  const signedPath = join(outDir, signedFileName(receipt.batchId, receipt.fingerprint));
  writeFileAtomic(signedPath, encodePsbt(signedFile(psbt, signatures, receipt), detectEncoding(content)), {
    mode: 0o644,
  });
  return signedPath;
}

/** Signs a withdrawal or a proof of reserves, whichever the package header says it is. */
export async function signAnyPackageFile(options: SignOptions, io: Interaction): Promise<SignOutcome> {
  const state = loadSignerState(options.home);
  const content = readPsbtBytes(options.psbtPath);
  const psbt = decodePsbt(content);
  if (readPackage(psbt).header.purpose === 'reserves') {
    return { purpose: 'reserves', ...(await signProof(options, io, state, content, psbt)) };
  }
  return { purpose: 'withdrawal', ...(await signWithdrawal(options, io, state, content, psbt)) };
}

/** Signs a withdrawal package (a proof of reserves is refused: see signAnyPackageFile). */
export async function signPackageFile(options: SignOptions, io: Interaction): Promise<SignResult> {
  const state = loadSignerState(options.home);
  const content = readPsbtBytes(options.psbtPath);
  return signWithdrawal(options, io, state, content, decodePsbt(content));
}

/** Signs a proof-of-reserves package (a withdrawal is refused). */
export async function signProofFile(options: SignOptions, io: Interaction): Promise<ProofSignResult> {
  const state = loadSignerState(options.home);
  const content = readPsbtBytes(options.psbtPath);
  return signProof(options, io, state, content, decodePsbt(content));
}

async function signWithdrawal(
  options: SignOptions,
  io: Interaction,
  state: SignerState,
  content: Uint8Array,
  psbt: Psbt,
): Promise<SignResult> {
  const review = reviewPackage(psbt, state, options.now);
  for (const line of reviewLines(review, state.wallet.name, state.policy.policy)) io.say(line);
  await confirm(options, io, 'batch');

  const account = await unlockAccount(options, state, io);
  const signatures = signInputs(psbt, review.inputs, account, state.ownKey.origin.fingerprint);

  const data: SignedEntryData = {
    txid: review.txid,
    batchId: review.pkg.header.batchId,
    purpose: 'withdrawal',
    walletId: state.wallet.id,
    fingerprint: state.ownKey.origin.fingerprint,
    outpoints: review.inputs.map((i) => i.outpoint),
    requests: review.payments.map((p) => ({
      requestId: p.request.requestId,
      amountSat: p.request.amountSat.toString(),
    })),
    feeSat: review.feeSat.toString(),
    ...(review.replay.kind === 'bump' ? { bumps: review.replay.replaces } : {}),
  };
  const entry =
    review.replay.kind === 'same'
      ? state.ledger.entries.find(
          (e) => e.type === 'sign' && (e.data as SignedEntryData).txid === review.txid,
        )
      : appendLedger(options.home, 'sign', data, options.now);
  const receipt: SigningReceipt = {
    kind: 'kura-signing-receipt',
    version: 1,
    fingerprint: state.ownKey.origin.fingerprint,
    txid: review.txid,
    batchId: review.pkg.header.batchId,
    signedAt: options.now,
    ledgerEntryHash: entry?.hash ?? '',
  };
  const signedPath = writeSignedFile(options, content, psbt, signatures, receipt);
  return { review, signedPath, receipt };
}

/**
 * Signs a proof of reserves: the same key checks and signing as a withdrawal (SIGHASH_ALL over
 * the coins, which commits to the commitment input), no approvals, and a 'proof' ledger entry —
 * never a 'sign' entry, whose coins the ledger would count as spent.
 */
async function signProof(
  options: SignOptions,
  io: Interaction,
  state: SignerState,
  content: Uint8Array,
  psbt: Psbt,
): Promise<ProofSignResult> {
  const proof = reviewProof(psbt, state);
  for (const line of proofReviewLines(proof, state.wallet.name, state.wallet.wallet.network)) io.say(line);
  await confirm(options, io, 'proof of reserves');

  const account = await unlockAccount(options, state, io);
  const signatures = signInputs(psbt, proof.inputs, account, state.ownKey.origin.fingerprint);
  const data: ProofEntryData = {
    txid: proof.txid,
    batchId: proof.pkg.header.batchId,
    walletId: state.wallet.id,
    fingerprint: state.ownKey.origin.fingerprint,
    message: proof.message,
    coins: proof.inputs.length,
    totalSat: proof.totalSat.toString(),
    outpoints: proof.inputs.map((i) => i.outpoint),
  };
  const entry = proof.signedBefore
    ? state.ledger.entries.find((e) => e.type === 'proof' && (e.data as ProofEntryData).txid === proof.txid)
    : appendLedger(options.home, 'proof', data, options.now);
  const receipt: SigningReceipt = {
    kind: 'kura-signing-receipt',
    version: 1,
    fingerprint: state.ownKey.origin.fingerprint,
    txid: proof.txid,
    batchId: proof.pkg.header.batchId,
    signedAt: options.now,
    ledgerEntryHash: entry?.hash ?? '',
  };
  const signedPath = writeSignedFile(options, content, psbt, signatures, receipt);
  return { proof, signedPath, receipt };
}

export function signedFileName(batchId: string, fingerprint: string): string {
  return `${basename(batchId)}.${fingerprint}.signed.psbt`;
}
