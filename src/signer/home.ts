// A signer home is one cosigner's folder (mode 0700) on the air-gapped machine:
//   keystore.json   the encrypted key (0400)
//   cosigner.json   its public account key, to hand to the wallet's creator (0400)
//   wallet.json     the registered (pinned) wallet (0400)
// Later issues add the pinned policy and the signing ledger here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KuraError } from '../errors.js';
import { readJsonFile } from '../artifacts/readFile.js';
import { parseKeystore, type KeystoreFile } from '../keys/keystore.js';

export interface SignerPaths {
  readonly home: string;
  readonly keystore: string;
  readonly cosigner: string;
  readonly wallet: string;
}

export function signerPaths(home: string): SignerPaths {
  return {
    home,
    keystore: join(home, 'keystore.json'),
    cosigner: join(home, 'cosigner.json'),
    wallet: join(home, 'wallet.json'),
  };
}

export function loadKeystoreFile(home: string): KeystoreFile {
  const paths = signerPaths(home);
  if (!existsSync(paths.keystore)) {
    throw new KuraError('KEYSTORE_NOT_FOUND', `"home": ${home} holds no keystore; run kura keys create`, {
      field: 'home',
      path: paths.keystore,
    });
  }
  let json: unknown;
  try {
    json = readJsonFile(paths.keystore, 'keystore');
  } catch (cause) {
    if (cause instanceof KuraError && cause.code === 'JSON_MALFORMED') {
      throw new KuraError('KEYSTORE_CORRUPT', 'the keystore is not valid JSON', { field: 'keystore' }, cause);
    }
    throw cause;
  }
  return parseKeystore(json);
}
