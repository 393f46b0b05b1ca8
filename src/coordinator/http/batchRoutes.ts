// Batch routes this module serves itself: the unsigned PSBT of a batch, for the operator to carry
// to the signers and for auditors. Importing signed PSBTs (POST /v1/batches/{id}/signatures)
// belongs to the batch module and is plugged in through startCoordinatorServer's `routes`.
import { KuraError } from '../../errors.js';
import { batchIdParam, queryParams } from './params.js';
import type { RouteDefinition } from './route.js';
import { route } from './roles.js';

export function batchRoutes(): RouteDefinition[] {
  return [
    route('GET /v1/batches/{id}/psbt', (call) => {
      const format = queryParams(call.query, ['format']).get('format') ?? 'binary';
      if (format !== 'binary' && format !== 'base64') {
        throw new KuraError('ARGUMENT_INVALID', '"format" must be binary or base64', { field: 'format' });
      }
      const batchId = batchIdParam(call.params.id);
      const batch = call.home.store.batchById(batchId);
      if (batch === undefined) {
        throw new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${batchId}`, {
          field: 'batchId',
          batchId,
        });
      }
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
