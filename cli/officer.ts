// `kura officer keys create|show` and `kura officer approve`: an officer's approval key, and a
// signed approval of one withdrawal request after the officer has read it in full.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isKuraError, KuraError } from '../src/errors.js';
import type { Interaction } from '../src/interaction.js';
import { writeFileAtomic } from '../src/artifacts/atomicWrite.js';
import { readJsonFile, readSecretFile } from '../src/artifacts/readFile.js';
import {
  approvalFileText,
  checkNotExpired,
  defaultApprovalFileName,
  formatSats,
  reviewRequest,
  signApproval,
  type Approval,
  type RequestReview,
} from '../src/approvals/approval.js';
import {
  checkOfficerId,
  generateOfficerPrivateKey,
  openOfficerKey,
  parseOfficerKeyFile,
  sealOfficerKey,
  type OfficerKeyFile,
} from '../src/approvals/officerKey.js';
import { parseRequest } from '../src/approvals/request.js';
import { checkNewPassphrase } from '../src/keys/seal.js';
import { runSelfTest } from '../src/signer/selfTest.js';
import { emit, keySafetyInteraction, type CliContext } from './context.js';
import { officerKeyOption } from './defaults.js';

/** The word an officer types to approve: a deliberate act, not a reflexive "y". */
const CONFIRM_WORD = 'approve';

async function newPassphrase(passphraseFile: string | undefined, io: Interaction): Promise<string> {
  if (passphraseFile !== undefined) {
    return checkNewPassphrase(readSecretFile(passphraseFile, 'passphrase-file'));
  }
  if (!io.interactive) {
    throw new KuraError(
      'INPUT_REQUIRED',
      'no terminal to type the officer key passphrase: use --passphrase-file',
      {
        field: 'passphrase',
      },
    );
  }
  const first = checkNewPassphrase(await io.secret('Officer key passphrase: '));
  const second = checkNewPassphrase(await io.secret('Repeat the passphrase: '));
  if (first !== second) {
    throw new KuraError('PASSPHRASE_MISMATCH', 'the two passphrase entries differ; nothing was written', {
      field: 'passphrase',
    });
  }
  return first;
}

async function existingPassphrase(passphraseFile: string | undefined, io: Interaction): Promise<string> {
  if (passphraseFile !== undefined) return readSecretFile(passphraseFile, 'passphrase-file');
  if (!io.interactive) {
    throw new KuraError(
      'INPUT_REQUIRED',
      'no terminal to type the officer key passphrase: use --passphrase-file',
      {
        field: 'passphrase',
      },
    );
  }
  return io.secret('Officer key passphrase: ');
}

function loadOfficerKey(path: string): OfficerKeyFile {
  try {
    return parseOfficerKeyFile(readJsonFile(path, 'key'));
  } catch (cause) {
    if (isKuraError(cause, 'JSON_MALFORMED')) {
      throw new KuraError(
        'KEYSTORE_CORRUPT',
        'the officer key file is not valid JSON',
        { field: 'key' },
        cause,
      );
    }
    throw cause;
  }
}

function keyLines(file: OfficerKeyFile): string[] {
  return [`  officer id  ${file.id ?? '(none)'}`, `  public key  ${file.publicKey}`];
}

function reviewLines(review: RequestReview, key: OfficerKeyFile): string[] {
  return [
    `Withdrawal request ${review.requestId}`,
    `  network      ${review.network}`,
    `  destination  ${review.destination}`,
    `  script       ${review.scriptPubKey}`,
    `  amount       ${review.amountBtc} BTC  (${formatSats(BigInt(review.amountSat))} sats)`,
    `  wallet id    ${review.walletId}`,
    `  policy hash  ${review.policyHash}`,
    `  expires      ${review.expiresAtIso}  (unix ${review.expiresAt})`,
    `  digest       ${review.requestDigest}`,
    `Signing as officer ${key.id ?? '(no id)'}, key ${key.publicKey}`,
    'Compare the destination and amount character by character with the ticket you were given.',
  ];
}

export function registerOfficer(program: Command, ctx: CliContext): void {
  const officer = program.command('officer').description("officers' approval keys and signed approvals");
  const keys = officer.command('keys').description("an officer's approval key: create, show");

  keys
    .command('create')
    .description('create an encrypted approval key and print its public key for the policy')
    .requiredOption('--out <file>', 'officer key file to write (never overwritten; mode 0400)')
    .option('--id <name>', "the officer's id in the policy, stored in the key file")
    .option('--passphrase-file <file>', 'file holding the key passphrase (otherwise prompted twice)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura officer keys create --out alice.officer-key.json --id alice')
    .action(async (flags: { out: string; id?: string; passphraseFile?: string; json?: boolean }) => {
      runSelfTest();
      const id = flags.id === undefined ? null : checkOfficerId(flags.id);
      const refuseExisting = (cause?: unknown) =>
        new KuraError(
          'OFFICER_KEY_EXISTS',
          `"out": ${flags.out} already exists; an officer key is never replaced`,
          { field: 'out', path: flags.out },
          cause,
        );
      if (existsSync(flags.out)) throw refuseExisting();
      const passphrase = await newPassphrase(flags.passphraseFile, ctx.interaction);
      const privateKey = generateOfficerPrivateKey();
      let file: OfficerKeyFile;
      try {
        file = sealOfficerKey(privateKey, passphrase, id);
      } finally {
        // Best effort: JavaScript cannot guarantee that no copy of the key remains in memory.
        privateKey.fill(0);
      }
      try {
        writeFileAtomic(flags.out, `${JSON.stringify(file, null, 2)}\n`, { exclusive: true, mode: 0o400 });
      } catch (cause) {
        if (isKuraError(cause, 'FILE_EXISTS')) throw refuseExisting(cause);
        throw cause;
      }
      const folder = dirname(resolve(flags.out));
      if ((statSync(folder).mode & 0o077) !== 0) {
        keySafetyInteraction(ctx).warn(
          `${folder} can be read by others; keep officer keys in a folder of mode 0700.`,
        );
      }
      const data = { path: flags.out, id: file.id, publicKey: file.publicKey };
      emit(ctx, flags.json ?? false, data, () => [
        `Created officer key ${flags.out}`,
        ...keyLines(file),
        'Put the public key in the policy under officers[].publicKey.',
      ]);
    });

  keys
    .command('show')
    .description("print an officer key's id and public key (no passphrase needed)")
    .addOption(officerKeyOption())
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  kura officer keys show --key alice.officer-key.json --json')
    .action((flags: { key: string; json?: boolean }) => {
      const file = loadOfficerKey(flags.key);
      const data = { id: file.id, publicKey: file.publicKey };
      emit(ctx, flags.json ?? false, data, () => keyLines(file));
    });

  officer
    .command('approve')
    .description('show a withdrawal request in full, ask for confirmation, and sign an approval of it')
    .addOption(officerKeyOption())
    .requiredOption('--request <file>', 'withdrawal request file')
    .option('--out <file>', 'approval file to write (default: <request>.<key>.approval.json here)')
    .option('--passphrase-file <file>', 'file holding the key passphrase (otherwise prompted)')
    .option('--yes', 'do not ask for confirmation (scripts); the request is still printed')
    .option('--json', 'print the approval as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura officer approve --key alice.officer-key.json --request 4f2a.request.json',
    )
    .action(
      async (flags: {
        key: string;
        request: string;
        out?: string;
        passphraseFile?: string;
        yes?: boolean;
        json?: boolean;
      }) => {
        runSelfTest();
        const key = loadOfficerKey(flags.key);
        const request = parseRequest(readJsonFile(flags.request, 'request'));
        const review = reviewRequest(request);
        const out =
          flags.out ?? join(process.cwd(), defaultApprovalFileName(request.requestId, key.publicKey));
        if (existsSync(out)) {
          throw new KuraError('FILE_EXISTS', `"out": ${out} already exists; kura does not overwrite it`, {
            field: 'out',
            path: out,
          });
        }
        // Refused before the officer spends attention on it; signApproval checks again.
        checkNotExpired(request, Math.floor(Date.now() / 1000));
        for (const line of reviewLines(review, key)) ctx.interaction.say(line);
        if (!flags.yes) {
          if (!ctx.interaction.interactive) {
            throw new KuraError(
              'INTERACTIVE_REQUIRED',
              'no terminal to confirm: review the request and pass --yes',
              {
                field: 'yes',
              },
            );
          }
          const answer = await ctx.interaction.ask(
            `Type "${CONFIRM_WORD}" to sign an approval of this request: `,
          );
          if (answer.trim() !== CONFIRM_WORD) {
            throw new KuraError(
              'CONFIRMATION_DECLINED',
              'approval not confirmed; nothing was signed or written',
              {
                field: 'confirm',
              },
            );
          }
        }
        const passphrase = await existingPassphrase(flags.passphraseFile, ctx.interaction);
        const privateKey = openOfficerKey(key, passphrase);
        let approval: Approval;
        try {
          approval = signApproval(request, privateKey, Math.floor(Date.now() / 1000));
        } finally {
          // Best effort: JavaScript cannot guarantee that no copy of the key remains in memory.
          privateKey.fill(0);
        }
        writeFileAtomic(out, approvalFileText(approval), { exclusive: true, mode: 0o444 });
        emit(ctx, flags.json ?? false, { path: out, approval }, () => [
          `Approved request ${request.requestId} as ${key.id ?? key.publicKey}.`,
          `Approval written to ${out}; hand it to the coordinator.`,
        ]);
      },
    );
}
