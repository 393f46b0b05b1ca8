// `kura signer sign`: load the signer's own state, review the package, ask the operator, unlock
// the key, sign, record the signature in the ledger, and write the signed file. The ledger entry
// is written before the file: a crash in between leaves a recorded signature that the next run
// recognises as the same transaction, never an unrecorded one.
import { basename, dirname, join } from 'node:path';
import { KuraError } from '../errors.js';
import type { Interaction } from '../interaction.js';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import { decodePsbt, detectEncoding, encodePsbt, readPsbtBytes } from '../artifacts/psbtFile.js';
import { accountPrivateNode, masterFromSeed } from '../keys/account.js';
import { readExistingPassphrase, showKey } from '../keys/ceremony.js';
import { openKeystore } from '../keys/keystore.js';
import { mnemonicToSeed } from '../keys/mnemonic.js';
import { loadKeystoreFile } from './home.js';
import { appendLedger, LedgerView, readLedger, type SignedEntryData } from './ledger.js';
import { checkPolicyForWallet, loadPinnedPolicy } from './policyPin.js';
import { signedFile, signInputs, type SigningReceipt } from './produceSignatures.js';
import { loadRegisteredWallet } from './register.js';
import { reviewPackage, type Review, type SignerState } from './review.js';
import { reviewLines } from './reviewScreen.js';

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

export async function signPackageFile(options: SignOptions, io: Interaction): Promise<SignResult> {
  const state = loadSignerState(options.home);
  const content = readPsbtBytes(options.psbtPath);
  const psbt = decodePsbt(content);
  const review = reviewPackage(psbt, state, options.now);
  for (const line of reviewLines(review, state.wallet.name, state.policy.policy)) io.say(line);

  if (!options.yes) {
    if (!io.interactive) {
      throw new KuraError(
        'INTERACTIVE_REQUIRED',
        'no terminal to confirm: review the output and pass --yes',
        {
          field: 'yes',
        },
      );
    }
    if ((await io.ask('Type "sign" to sign this batch: ')).trim() !== 'sign') {
      throw new KuraError('CONFIRMATION_DECLINED', 'not signed; nothing was written', { field: 'confirm' });
    }
  }

  const keystore = loadKeystoreFile(options.home);
  const secret = openKeystore(keystore, await readExistingPassphrase(options.passphraseFile, io));
  const master = masterFromSeed(mnemonicToSeed(secret.mnemonic, secret.bip39Passphrase), keystore.network);
  const account = accountPrivateNode(master, state.ownKey.origin.path);
  if (account.neutered().toBase58() !== state.ownKey.xpub) {
    throw new KuraError('KEYSTORE_CORRUPT', 'the unlocked key is not the key this signer registered', {
      field: 'xpub',
    });
  }
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
  const outDir = options.outDir ?? dirname(options.psbtPath);
  const signedPath = join(outDir, signedFileName(review.pkg.header.batchId, receipt.fingerprint));
  writeFileAtomic(signedPath, encodePsbt(signedFile(psbt, signatures, receipt), detectEncoding(content)), {
    mode: 0o644,
  });
  return { review, signedPath, receipt };
}

export function signedFileName(batchId: string, fingerprint: string): string {
  return `${basename(batchId)}.${fingerprint}.signed.psbt`;
}
