// Batch routes: the unsigned PSBT of a batch, for the operator to carry to the signers and for
// auditors, and a cosigner's signed file handed back (the batch module checks and combines it,
// exactly as `kura batch import` does).
import { KuraError } from '../../errors.js';
import { decodePsbt } from '../../artifacts/psbtFile.js';
import { unsignedTransaction } from '../../signer/produceSignatures.js';
import { importSignedPsbts } from '../batch/index.js';
import type { CoordinatorHome } from '../home.js';
import { batchIdParam, queryParams } from './params.js';
import type { RouteDefinition } from './route.js';
import { route } from './roles.js';

/** A signed file is a PSBT: the signer's own bound on PSBT size holds here too. */
export const MAX_SIGNED_PSBT_BYTES = 64 * 1024 * 1024;

function knownBatch(home: CoordinatorHome, batchId: string) {
  const batch = home.store.batchById(batchId);
  if (batch === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${batchId}`, {
      field: 'batchId',
      batchId,
    });
  }
  return batch;
}

export function batchRoutes(): RouteDefinition[] {
  return [
    route('POST /v1/batches/{id}/signatures', async (call) => {
      queryParams(call.query, []);
      const batch = knownBatch(call.home, batchIdParam(call.params.id));
      const bytes = await call.bytes({
        contentTypes: ['application/octet-stream', 'text/plain'],
        maxBytes: MAX_SIGNED_PSBT_BYTES,
      });
      // The path names the batch: a file of another transaction is refused before anything is
      // stored, even if it would fit another live batch.
      const txid = unsignedTransaction(decodePsbt(bytes)).getId();
      if (txid !== batch.txid) {
        throw new KuraError(
          'BATCH_TX_MISMATCH',
          `the signed file is for transaction ${txid}, batch ${batch.batchId} is ${batch.txid}`,
          { field: 'body', batchId: batch.batchId, txid, expected: batch.txid },
        );
      }
      const report = importSignedPsbts(call.home, [bytes], call.now);
      const file = report.files[0];
      if (file?.refusal) throw new KuraError(file.refusal.code, file.refusal.message, file.refusal.details);
      return {
        status: 200,
        json: {
          cosigners: file?.cosigners ?? [],
          batch: report.batches.find((b) => b.batchId === batch.batchId),
        },
      };
    }),
    route('GET /v1/batches/{id}/psbt', (call) => {
      const format = queryParams(call.query, ['format']).get('format') ?? 'binary';
      if (format !== 'binary' && format !== 'base64') {
        throw new KuraError('ARGUMENT_INVALID', '"format" must be binary or base64', { field: 'format' });
      }
      const batchId = batchIdParam(call.params.id);
      const batch = knownBatch(call.home, batchId);
      const headers = {
        'Content-Disposition': `attachment; filename="${batchId}.psbt"`,
        'X-Kura-Batch-State': batch.state,
      };
      if (format === 'base64') {
        return {
          status: 200,
          contentType: 'text/plain; charset=utf-8',
          body: Buffer.from(batch.psbt).toString('base64'),
          headers: { ...headers, 'Content-Disposition': `attachment; filename="${batchId}.psbt.txt"` },
        };
      }
      return { status: 200, contentType: 'application/octet-stream', body: batch.psbt, headers };
    }),
  ];
}
