// The review a signing operator reads before typing "sign": one line per payment with who
// approved it, the change, the fee and its rate, totals, and the 24-hour limits used and left.
import { formatBtc, formatSats } from '../approvals/approval.js';
import type { Policy } from '../policy/types.js';
import type { Review } from './review.js';

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
