// README command one: `npm run demo` must run the whole ceremony on a fresh machine. This runs
// the same script in a child process, in a temporary folder, and reads what it printed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('runs a withdrawal from key ceremony to confirmation on regtest', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: root,
      env: { ...process.env, KURA_DEMO_DIR: tempDir('kura-demo-') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).not.toMatch(/demo failed/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/request 3: 3\.00000000 BTC .* REFUSED \(POLICY_REFUSED\)/);
    expect(run.stdout).toMatch(/signer-a signed/);
    expect(run.stdout).toMatch(/confirmed in block [0-9a-f]{64}/);
    expect(run.stdout).toMatch(/signer-a: 3 entries/);
  });
});
