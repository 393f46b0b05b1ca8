// Query parameters and path ids, checked where they enter: a parameter a route does not know, or
// one given twice, is refused rather than ignored (a typo like ?satte=approved must not silently
// list everything).
import { KuraError } from '../../errors.js';

/** The route's query parameters by name, each at most once; any other name is refused. */
export function queryParams(query: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  for (const [name, value] of query) {
    if (!allowed.includes(name)) {
      throw new KuraError(
        'ARGUMENT_INVALID',
        `query parameter ${JSON.stringify(name.slice(0, 50))} is not known here${allowed.length === 0 ? '' : ` (${allowed.join(', ')})`}`,
        { field: name.slice(0, 50) },
      );
    }
    if (seen.has(name)) {
      throw new KuraError('ARGUMENT_INVALID', `query parameter "${name}" is given twice`, { field: name });
    }
    seen.set(name, value);
  }
  return seen;
}

export function integerParam(value: string, field: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be an integer from ${min} to ${max}`, { field });
  }
  return n;
}

/** Batch ids are 1–64 letters, digits, - or _ (the PSBT header's rule). */
export function batchIdParam(value: string | undefined): string {
  if (value === undefined || !/^[0-9A-Za-z_-]{1,64}$/.test(value)) {
    throw new KuraError('ARGUMENT_INVALID', '"batchId" must be 1–64 letters, digits, - or _', {
      field: 'batchId',
    });
  }
  return value;
}
