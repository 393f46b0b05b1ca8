// The node's state for `kura coordinator status`. The last sync's error lives only in the memory
// of the process that ran it (`serve` keeps it for GET /v1/health), so status asks the node one
// quick question itself: getblockchaininfo, with a short deadline and no retries, so that a node
// that is down or hanging costs status a few seconds at most. Status must answer when the node
// does not, so a failure is reported as data (its code and message), never thrown.
import { isKuraError, type ErrorCode } from '../errors.js';
import type { CoordinatorConfig, CoordinatorStatus } from './home.js';
import { nodeClientFor } from './node.js';

/** One attempt, this long at most: long enough for a busy node, short enough for a status line. */
export const NODE_PROBE_TIMEOUT_MS = 3_000;

export type NodeState =
  | {
      readonly status: 'ok';
      readonly chain: string;
      /** The node's tip height (getblockchaininfo `blocks`). */
      readonly blocks: number;
      /** How many blocks the store has not scanned yet (0: in step; `kura coordinator sync` catches up). */
      readonly behindBlocks: number;
    }
  | {
      readonly status: 'error';
      /** NODE_UNREACHABLE, NODE_TIMEOUT, NODE_AUTH_FAILED, NODE_WRONG_NETWORK, NODE_BAD_RESPONSE, … */
      readonly code: ErrorCode;
      readonly message: string;
    };

/**
 * Asks the home's node whether it answers and serves the wallet's network. `scannedTo` is the
 * highest block the store has scanned (birthday − 1 before the first sync).
 */
export async function probeNode(
  config: CoordinatorConfig,
  scannedTo: number,
  timeoutMs: number = NODE_PROBE_TIMEOUT_MS,
): Promise<NodeState> {
  try {
    // Inside the try: a password file that went missing is a node problem to report too.
    const client = nodeClientFor({ config }, { timeoutMs, retries: 0 });
    try {
      const info = await client.expectNetwork(config.network);
      return {
        status: 'ok',
        chain: info.chain,
        blocks: info.blocks,
        behindBlocks: Math.max(0, info.blocks - scannedTo),
      };
    } finally {
      client.close();
    }
  } catch (error) {
    if (!isKuraError(error)) throw error;
    return { status: 'error', code: error.code, message: error.message };
  }
}

/** One line for a person. */
export function describeNodeState(state: NodeState): string {
  if (state.status === 'error') return `ERROR ${state.code}: ${state.message}`;
  const lag =
    state.behindBlocks === 0
      ? 'the store is in step'
      : `the store is ${state.behindBlocks} blocks behind: run kura coordinator sync`;
  return `answers: ${state.chain}, tip at block ${state.blocks}; ${lag}`;
}

/**
 * The node's state next to a store's status: the store has scanned to its tip, or to the block
 * before its birthday when nothing was scanned yet.
 */
export function nodeStateFor(
  config: CoordinatorConfig,
  status: Pick<CoordinatorStatus, 'tip' | 'birthdayHeight'>,
  timeoutMs: number = NODE_PROBE_TIMEOUT_MS,
): Promise<NodeState> {
  return probeNode(config, status.tip?.height ?? status.birthdayHeight - 1, timeoutMs);
}
