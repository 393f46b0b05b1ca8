// The review a signing operator reads before typing "sign": one line per payment with who
// approved it, the change, the fee and its rate, totals, and the 24-hour limits used and left;
// for a proof of reserves, the committed message, the coins and their total.
import { formatBtc, formatSats } from '../approvals/approval.js';
import type { Policy } from '../policy/types.js';
import type { Review } from './review.js';
import type { ProofReview } from './reviewProof.js';

function btc(amountSat: bigint): string {
  return `${formatBtc(amountSat)} BTC (${formatSats(amountSat)} sats)`;
}

export function reviewLines(review: Review, walletName: string, policy: Policy): string[] {
  const { header } = review.pkg;
  const lines = [
    `Batch ${header.batchId} — wallet "${walletName}" (${header.walletId.slice(0, 16)}…) on ${policy.network}`,
    `  transaction ${review.txid}`,
  ];
  if (review.replay.kind === 'bump')
    lines.push(`  FEE BUMP of ${review.replay.replaces}: same requests, higher fee`);
  if (review.replay.kind === 'same')
    lines.push('  this exact transaction was signed before; signing again changes nothing');
  lines.push(`Payments (${review.payments.length}):`);
  for (const p of review.payments) {
    const who = p.approvers.map((a) => `${a.id} (${a.role})`).join(', ');
    lines.push(`  #${p.outputIndex}  request ${p.request.requestId.slice(0, 12)}…  ${p.request.destination}`);
    lines.push(`        ${btc(p.request.amountSat)}  approved by ${who || 'nobody'}`);
  }
  lines.push(`Change (${review.change.length}):`);
  for (const c of review.change)
    lines.push(`  #${c.outputIndex}  ${c.address} (change /1/${c.index})  ${btc(c.valueSat)}`);
  const rate = Number((review.feeSat * 10n) / BigInt(review.vsize)) / 10;
  lines.push(`Inputs: ${review.inputs.length} coins, ${btc(review.totalInSat)}`);
  lines.push(`Outputs: ${btc(review.totalOutSat)}`);
  lines.push(`Fee: ${btc(review.feeSat)}, about ${rate} sat/vB over ${review.vsize} vB`);
  const limits = policy.limits.rolling24h;
  const { before, after } = review.usage24h;
  lines.push(
    `24 h limits: ${formatBtc(before.amountSat)} of ${formatBtc(limits.amountSat)} BTC and ${before.count} of ${limits.count} withdrawals used;`,
    `  after this: ${formatBtc(limits.amountSat - after.amountSat)} BTC and ${limits.count - after.count} withdrawals left`,
  );
  return lines;
}

/** How many coins the proof review lists one by one; the rest are counted. */
const LISTED_PROOF_COINS = 20;

/** The review of a proof of reserves: what is committed, which coins, and that nothing moves. */
export function proofReviewLines(review: ProofReview, walletName: string, network: string): string[] {
  const { header } = review.pkg;
  const lines = [
    `PROOF OF RESERVES ${header.batchId} — wallet "${walletName}" (${header.walletId.slice(0, 16)}…) on ${network}`,
    `  message      ${JSON.stringify(review.message)}`,
    `  transaction  ${review.txid}`,
    '  It can never be mined: its first input is the BIP-127 commitment to the message, not a coin.',
  ];
  if (review.signedBefore) lines.push('  this exact proof was signed before; signing again changes nothing');
  lines.push(`Coins: ${review.inputs.length}, total ${btc(review.totalSat)}`);
  for (const input of review.inputs.slice(0, LISTED_PROOF_COINS)) {
    lines.push(
      `  #${input.index}  ${input.outpoint}  (/${input.derived.branch}/${input.derived.index})  ${btc(input.valueSat)}`,
    );
  }
  if (review.inputs.length > LISTED_PROOF_COINS)
    lines.push(`  … and ${review.inputs.length - LISTED_PROOF_COINS} more`);
  const { output } = review;
  lines.push(
    `Output: all of it to the wallet's own ${output.address} (/${output.branch}/${output.index}), no fee`,
    'No approvals are needed: a proof of reserves moves nothing.',
  );
  if (review.signedAway.length > 0) {
    lines.push(
      `NOTE: ${review.signedAway.length} of these coins were signed away in withdrawals before (${review.signedAway
        .slice(0, 3)
        .map((s) => s.outpoint)
        .join(', ')}${review.signedAway.length > 3 ? ', …' : ''});`,
      "  the auditor checks against the chain which coins were unspent at the proof's block.",
    );
  }
  return lines;
}
