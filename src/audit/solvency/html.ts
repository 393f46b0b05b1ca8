// The solvency statement as one self-contained HTML page an auditor can hand on: no script, no
// external resource (a Content-Security-Policy forbids both), every piece of text escaped — the
// proof's message is the custodian's text and must not become markup.
import { formatBtc, formatSats } from '../../approvals/approval.js';
import type { CoinStatus } from '../reserves/report.js';
import type { SolvencyStatement } from './statement.js';

/** Past this many coins the page lists the largest and counts the rest; the JSON has them all. */
export const LISTED_COINS = 200;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

function amount(sat: bigint): string {
  const sign = sat < 0n ? '−' : '';
  const abs = sat < 0n ? -sat : sat;
  return `${sign}${formatBtc(abs)} BTC <span class="sats">${sign}${formatSats(abs)} sats</span>`;
}

function row(label: string, valueHtml: string): string {
  return `<tr><th scope="row">${escapeHtml(label)}</th><td>${valueHtml}</td></tr>`;
}

function coinRow(c: CoinStatus): string {
  const status =
    c.status === 'unspent' ? 'unspent' : `spent since, at height ${c.spentAtHeight} (${c.spentBy ?? ''})`;
  return `<tr><td class="mono">${escapeHtml(`${c.txid}:${c.vout}`)}</td><td class="num">${escapeHtml(formatBtc(c.valueSat))}</td><td class="num">${c.height}</td><td>${escapeHtml(status)}</td></tr>`;
}

function gap(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 2 * 86_400) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86_400)} days`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.6rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #ccc}
.verdict{font-size:1.25rem;font-weight:700;padding:.6rem .9rem;border-radius:4px}
.ok{background:#e3f4e3;border:1px solid #4a4}.bad{background:#fbe3e3;border:1px solid #c44}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2rem .5rem;vertical-align:top;border-bottom:1px solid #eee}
th[scope=row]{width:14rem;font-weight:600}.num{text-align:right;white-space:nowrap}
.mono,.sats{font-family:ui-monospace,monospace;font-size:.85em}.sats{color:#555;margin-left:.4rem}
.mono{word-break:break-all}li{margin:.2rem 0}footer{margin-top:2rem;color:#555;font-size:.85em}
@media print{body{margin:0}}`;

export function statementHtml(s: SolvencyStatement): string {
  const { reserves, liabilities } = s;
  const verdict = s.covered
    ? `Reserves cover liabilities at block ${reserves.block.height}`
    : `Reserves do NOT cover liabilities at block ${reserves.block.height}`;
  const coins = [...reserves.coins].sort((a, b) =>
    a.valueSat < b.valueSat ? 1 : a.valueSat > b.valueSat ? -1 : 0,
  );
  const listed = coins.slice(0, LISTED_COINS);
  const spentSince = reserves.coins.filter((c) => c.status === 'spent-since').length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Solvency statement — block ${reserves.block.height}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Solvency statement</h1>
<p class="verdict ${s.covered ? 'ok' : 'bad'}">${escapeHtml(verdict)}</p>
<table>
${row('Reserves (verified)', amount(s.reservesSat))}
${row('Liabilities (published)', amount(s.liabilitiesSat))}
${row(s.surplusSat < 0n ? 'Shortfall' : 'Surplus', amount(s.surplusSat))}
${row('Coverage (reserves ÷ liabilities)', escapeHtml(s.coverage === null ? 'no liabilities' : `${s.coverage} (rounded down)`))}
</table>

<h2>Reserves</h2>
<table>
${row('Committed message', `<span class="mono">${escapeHtml(reserves.message)}</span>`)}
${row('Block', `${reserves.block.height} <span class="mono">${escapeHtml(reserves.block.hash)}</span>, mined ${escapeHtml(iso(reserves.block.time))}`)}
${row('Network', escapeHtml(reserves.network))}
${row('Proof file SHA-256', `<span class="mono">${escapeHtml(reserves.proofSha256)}</span>`)}
${row('Verified', `${escapeHtml(iso(reserves.verifiedAt))} against the auditor's node at height ${reserves.nodeTip.height}`)}
${row('Coins', `${reserves.coins.length} (${spentSince} spent since the block, counted: they were unspent at it)`)}
</table>
<table>
<thead><tr><th>Coin</th><th class="num">BTC</th><th class="num">Block</th><th>Status</th></tr></thead>
<tbody>
${listed.map(coinRow).join('\n')}
</tbody>
</table>
${coins.length > listed.length ? `<p>… and ${coins.length - listed.length} smaller coins, listed in the JSON statement.</p>` : ''}

<h2>Liabilities</h2>
<table>
${row('Merkle-sum root', `<span class="mono">${escapeHtml(liabilities.hash)}</span>`)}
${row('Accounts', escapeHtml(formatSats(BigInt(liabilities.count))))}
${row('Total', amount(liabilities.totalSat))}
${row('Snapshot taken', `${escapeHtml(iso(liabilities.createdAt))} (${escapeHtml(gap(s.snapshotGapSeconds))} from the proof's block)`)}
</table>

<h2>Checks that passed</h2>
<ol>
${s.checks.map((c) => `<li><strong>${escapeHtml(c.id)}</strong>: ${escapeHtml(c.detail)}</li>`).join('\n')}
</ol>

<h2>What this statement does not show</h2>
<ul>
<li>That the liabilities are complete: each customer checks their own inclusion proof against the root above.</li>
<li>That the custodian still holds the coins after block ${reserves.block.height}; coins marked "spent since" moved later.</li>
<li>That the keys are not shared with, or the coins not owed to, someone else: a signature proves control, not ownership.</li>
<li>Anything to someone who did not run the verification: run <code>kura audit reserves verify</code> on the proof file against your own node.</li>
</ul>
<footer>Made by kura audit solvency at ${escapeHtml(iso(s.createdAt))}.</footer>
</body>
</html>
`;
}
