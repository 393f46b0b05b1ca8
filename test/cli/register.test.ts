// `kura signer register`: own key checked by public key and chain code, the review shown, typed
// confirmation, and a different pinned wallet refused unless --replace.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';
import { restoreSigner } from '../helpers/keys.js';

let dir: string;
let homes: { alice: string; bob: string; carol: string };
let wallet: string;
let otherWallet: string;
let keyOrigins: string[];

async function walletFrom(cosigners: string[], name: string, threshold = '2'): Promise<string> {
  const out = join(dir, `${name}.json`);
  const args = [
    'wallet',
    'create',
    '--threshold',
    threshold,
    '--name',
    name,
    '--network',
    'regtest',
    '--out',
    out,
  ];
  const run = await kura([...args, ...cosigners.flatMap((c) => ['--cosigner', c])]);
  expect(run.code).toBe(0);
  return out;
}

beforeAll(async () => {
  dir = tempDir();
  homes = {
    alice: await restoreSigner(dir, 'alice', 'regtest'),
    bob: await restoreSigner(dir, 'bob', 'regtest'),
    carol: await restoreSigner(dir, 'carol', 'regtest'),
  };
  keyOrigins = [homes.alice, homes.bob, homes.carol].map(
    (h) => (JSON.parse(readFileSync(join(h, 'cosigner.json'), 'utf8')) as { keyOrigin: string }).keyOrigin,
  );
  wallet = await walletFrom(keyOrigins, 'treasury');
  otherWallet = await walletFrom(keyOrigins, 'treasury-1of3', '1');
});

describe('kura signer register', () => {
  it('shows M of N, every key, this signer, the first address, then pins on typed confirmation', async () => {
    const home = await restoreSigner(dir, 'bob', 'regtest', { home: 'bob-typed' });
    const run = await kura(['signer', 'register', '--home', home, '--wallet', wallet, '--json'], {
      asks: ['register'],
    });
    expect(run.code).toBe(0);
    expect(run.said).toMatch(/2-of-3/);
    expect(run.said).toMatch(/→ key \d/);
    expect(run.said).toMatch(/first receive address {2}bcrt1q/);
    expect(run.said).toMatch(/Type "register"/);
    const review = run.json<{
      position: number;
      cosigners: { thisSigner: boolean; xpub: string }[];
      outcome: string;
    }>();
    expect(review.outcome).toBe('registered');
    expect(review.cosigners.filter((c) => c.thisSigner)).toHaveLength(1);
    expect(review.cosigners[review.position - 1]?.thisSigner).toBe(true);
    expect(statSync(join(home, 'wallet.json')).mode & 0o777).toBe(0o400);

    const again = await kura(['signer', 'register', '--home', home, '--wallet', wallet, '--json']);
    expect(again.code).toBe(0);
    expect(again.json<{ outcome: string }>().outcome).toBe('already-registered');
  });

  it('pins nothing when the operator does not type the word', async () => {
    const home = await restoreSigner(dir, 'carol', 'regtest', { home: 'carol-no' });
    const run = await kura(['signer', 'register', '--home', home, '--wallet', wallet, '--json'], {
      asks: ['y'],
    });
    expect(errorCode(run)).toBe('CONFIRMATION_DECLINED');
    expect(existsSync(join(home, 'wallet.json'))).toBe(false);
  });

  it('needs --yes without a terminal', async () => {
    const run = await kura(['signer', 'register', '--home', homes.carol, '--wallet', wallet, '--json']);
    expect(errorCode(run)).toBe('INTERACTIVE_REQUIRED');
    expect(existsSync(join(homes.carol, 'wallet.json'))).toBe(false);
  });

  it('refuses a wallet without this signer, even under this signer’s fingerprint and path', async () => {
    const stranger = await restoreSigner(dir, 'alice', 'regtest', { account: 9, home: 'alice-9' });
    const strangerOrigin = (
      JSON.parse(readFileSync(join(stranger, 'cosigner.json'), 'utf8')) as { keyOrigin: string }
    ).keyOrigin;
    // Alice's fingerprint and path in front of another key: a look-alike that only a fingerprint check would pass.
    const aliceOrigin = keyOrigins[0] ?? '';
    const lookAlike = `${/^\[[^\]]*\]/.exec(aliceOrigin)?.[0] ?? ''}${strangerOrigin.replace(/^\[[^\]]*\]/, '')}`;
    const fake = await walletFrom([lookAlike, ...keyOrigins.slice(1)], 'fake');
    const run = await kura([
      'signer',
      'register',
      '--home',
      homes.alice,
      '--wallet',
      fake,
      '--yes',
      '--json',
    ]);
    expect(errorCode(run)).toBe('SIGNER_KEY_NOT_IN_WALLET');
  });

  it('refuses a wallet of another network', async () => {
    const mainnetHome = await restoreSigner(dir, 'alice', 'mainnet', { home: 'alice-mainnet' });
    const run = await kura([
      'signer',
      'register',
      '--home',
      mainnetHome,
      '--wallet',
      wallet,
      '--yes',
      '--json',
    ]);
    expect(errorCode(run)).toBe('NETWORK_MISMATCH');
  });

  it('refuses to replace a pinned wallet unless --replace is confirmed', async () => {
    const home = homes.alice;
    expect((await kura(['signer', 'register', '--home', home, '--wallet', wallet, '--yes'])).code).toBe(0);
    const refused = await kura([
      'signer',
      'register',
      '--home',
      home,
      '--wallet',
      otherWallet,
      '--yes',
      '--json',
    ]);
    expect(errorCode(refused)).toBe('WALLET_ALREADY_REGISTERED');
    const declined = await kura(
      ['signer', 'register', '--home', home, '--wallet', otherWallet, '--replace', '--json'],
      {
        asks: ['register'],
      },
    );
    expect(errorCode(declined)).toBe('CONFIRMATION_DECLINED');
    const replaced = await kura(
      ['signer', 'register', '--home', home, '--wallet', otherWallet, '--replace', '--json'],
      {
        asks: ['replace'],
      },
    );
    expect(replaced.json<{ outcome: string }>().outcome).toBe('replaced');
    const pinned = JSON.parse(readFileSync(join(home, 'wallet.json'), 'utf8')) as { name: string };
    expect(pinned.name).toBe('treasury-1of3');
  });

  it('refuses a damaged wallet file', async () => {
    const bad = writeTemp(
      dir,
      'bad.json',
      readFileSync(wallet, 'utf8').replace('"threshold": 2', '"threshold": 1'),
    );
    const run = await kura(['signer', 'register', '--home', homes.bob, '--wallet', bad, '--yes', '--json']);
    expect(errorCode(run)).toBe('WALLET_ID_MISMATCH');
  });
});
