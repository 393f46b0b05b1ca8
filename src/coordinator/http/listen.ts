// Where the API listens. The API speaks plain HTTP (no TLS of its own), so bearer tokens cross
// the wire in the clear: by default it listens on loopback only, and another address must be
// asked for with allowRemote, behind a TLS-terminating proxy.
import { isIP } from 'node:net';
import { KuraError } from '../../errors.js';

export const DEFAULT_LISTEN = '127.0.0.1:8080';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

function invalid(why: string): KuraError {
  return new KuraError('ARGUMENT_INVALID', `"listen" ${why}`, { field: 'listen' });
}

/** "127.0.0.1:8080", "[::1]:8080" or "localhost:8080"; port 0 picks a free port. */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw invalid('must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080');
  }
  if (match[1] !== undefined ? isIP(host) !== 6 : host !== 'localhost' && isIP(host) !== 4) {
    throw invalid('must name an IP address (or localhost), not a host name to resolve');
  }
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Refuses a non-loopback address unless allowRemote, saying why and how to opt in. */
export function checkListen(listen: ListenAddress, allowRemote: boolean): ListenAddress {
  if (!isLoopback(listen.host) && !allowRemote) {
    throw invalid(
      `${listen.host} is not a loopback address. The API has no TLS: bearer tokens would cross the network in the clear. ` +
        'Put a TLS-terminating proxy in front and pass --allow-remote to listen there anyway',
    );
  }
  return listen;
}
