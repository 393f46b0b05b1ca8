// Everything the signer checks before it signs, from the PSBT and its own pinned state alone
// (DESIGN.md section 2). The result is a review a person can read; nothing here signs.
import type { Psbt } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';
import { WalletDeriver } from '../bitcoin/addresses.js';
import type { AccountKey } from '../bitcoin/keyExpression.js';
import { readPackage, type SigningPackage } from '../artifacts/kuraFields.js';
import type { LoadedWallet } from '../artifacts/walletFile.js';
import type { WithdrawalRequest } from '../approvals/request.js';
import type { LoadedPolicy } from '../policy/load.js';
import { assertAllowed, evaluateRequest, refusalError } from '../policy/evaluate.js';
import { evaluateFee } from '../policy/fee.js';
import { verifyPackageApprovals } from './checks/approvals.js';
import { checkInputs, type CheckedInput } from './checks/inputs.js';
import { checkReplay, type ReplayVerdict } from './checks/ledger.js';
import { checkOutputs, type CheckedChange } from './checks/outputs.js';
import { estimateVsize } from './checks/size.js';
import type { LedgerView } from './ledger.js';
import { unsignedTransaction } from './produceSignatures.js';

export interface SignerState {
  readonly wallet: LoadedWallet;
  readonly ownKey: AccountKey;
  readonly policy: LoadedPolicy;
  readonly ledger: LedgerView;
}

export interface ReviewedPayment {
  readonly outputIndex: number;
  readonly request: WithdrawalRequest;
  readonly approvers: readonly { id: string; role: string; approvedAt: number }[];
}

export interface Review {
  readonly pkg: SigningPackage;
  readonly txid: string;
  readonly inputs: readonly CheckedInput[];
  readonly payments: readonly ReviewedPayment[];
  readonly change: readonly CheckedChange[];
  readonly totalInSat: bigint;
  readonly totalOutSat: bigint;
  readonly feeSat: bigint;
  readonly vsize: number;
  readonly usage24h: {
    readonly before: { amountSat: bigint; count: number };
    readonly after: { amountSat: bigint; count: number };
  };
  readonly replay: ReplayVerdict;
}

/**
 * The checks every package gets, whatever it pays: the registered wallet and the pinned policy.
 * A declared fee bump is a withdrawal's business; reviewProof.ts refuses one on a proof.
 */
export function checkPackageHeader(pkg: SigningPackage, state: SignerState): void {
  if (pkg.header.walletId !== state.wallet.id) {
    throw new KuraError(
      'PACKAGE_WALLET_MISMATCH',
      `the package is for wallet ${pkg.header.walletId.slice(0, 16)}…, this signer holds ${state.wallet.id.slice(0, 16)}…`,
      {
        field: 'header.walletId',
      },
    );
  }
  if (pkg.header.policyHash !== state.policy.policyHash) {
    throw new KuraError(
      'POLICY_HASH_MISMATCH',
      'the package names another policy than the one pinned on this signer',
      {
        field: 'header.policyHash',
        pinned: state.policy.policyHash,
        package: pkg.header.policyHash,
      },
    );
  }
}

/**
 * A BIP-127 commitment field makes PSBT tools show a transaction as a proof rather than a
 * payment; on a withdrawal it can only be there to mislead, so it is refused.
 */
function refuseCommitmentFields(psbt: Psbt): void {
  const index = psbt.data.inputs.findIndex((input) => input.porCommitment !== undefined);
  if (index >= 0) {
    throw new KuraError(
      'PROOF_COMMITMENT_UNEXPECTED',
      `"inputs[${index}].porCommitment" is set on a withdrawal package; only a proof of reserves carries one`,
      { field: `inputs[${index}].porCommitment` },
    );
  }
}

export function reviewPackage(psbt: Psbt, state: SignerState, now: number): Review {
  const pkg = readPackage(psbt);
  if (pkg.header.purpose !== 'withdrawal') {
    throw new KuraError(
      'PACKAGE_INVALID',
      `package purpose "${pkg.header.purpose}" is not a withdrawal (proofs of reserves are reviewed by reviewProof)`,
      { field: 'header.purpose' },
    );
  }
  checkPackageHeader(pkg, state);
  refuseCommitmentFields(psbt);

  const deriver = new WalletDeriver(state.wallet.wallet);
  const inputs = checkInputs(psbt, deriver, state.ownKey);
  const outputs = checkOutputs(psbt, pkg, deriver);
  const totalInSat = inputs.reduce((sum, i) => sum + i.valueSat, 0n);
  const feeSat = totalInSat - outputs.totalOutSat;
  if (feeSat < 0n) {
    throw new KuraError('PSBT_MALFORMED', 'the outputs spend more than the inputs hold', {
      field: 'outputs',
    });
  }

  const verified = verifyPackageApprovals(pkg);
  const policy = state.policy;
  const before = state.ledger.usage24h(now);
  const txid = unsignedTransaction(psbt).getId();
  const replay = checkReplay(state.ledger, {
    txid,
    outpoints: inputs.map((i) => i.outpoint),
    requestIds: [...pkg.requests.keys()],
    feeSat,
    bumps: pkg.header.bumps,
  });
  // Each request is judged against the other withdrawals of the last 24 h. Requests this package
  // pays again (a fee bump, or the same transaction signed again) are in the ledger already:
  // leave them out of "the others", then count every request of the package once.
  let usage = state.ledger.usage24h(now, new Set(pkg.requests.keys()));
  const payments: ReviewedPayment[] = outputs.payments.map(({ outputIndex, request }) => {
    const approvals = verified.get(request.requestId) ?? [];
    const decision = evaluateRequest(policy.policy, policy.policyHash, request, {
      now,
      approvals,
      usage24h: usage,
    });
    assertAllowed(decision);
    usage = { amountSat: usage.amountSat + request.amountSat, count: usage.count + 1 };
    const officers = new Map(policy.policy.officers.map((o) => [o.publicKey, o]));
    const approvers = approvals.flatMap((a) => {
      const officer = officers.get(a.officerPublicKey);
      return officer === undefined ? [] : [{ id: officer.id, role: officer.role, approvedAt: a.approvedAt }];
    });
    return { outputIndex, request, approvers };
  });

  const vsize = estimateVsize(
    psbt,
    state.wallet.wallet.threshold,
    inputs.map((i) => i.derived.witnessScript.length),
  );
  const paymentsSat = payments.reduce((sum, p) => sum + p.request.amountSat, 0n);
  const feeReasons = evaluateFee(policy.policy, { feeSat, vsize, paymentsSat });
  if (feeReasons.length > 0) throw refusalError(feeReasons, { feeSat: feeSat.toString(), vsize });

  return {
    pkg,
    txid,
    inputs,
    payments,
    change: outputs.change,
    totalInSat,
    totalOutSat: outputs.totalOutSat,
    feeSat,
    vsize,
    usage24h: { before, after: usage },
    replay,
  };
}
