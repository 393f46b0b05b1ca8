// Strict JSON for policy files: valid UTF-8, valid JSON, and no object with the same key twice.
// JSON.parse silently keeps the last of two equal keys, while a person reading the file (or
// another tool) may believe the first; a policy must mean one thing to everyone who reads it.
import { KuraError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function isSpace(code: number | undefined): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * The first key that appears twice in one object, or undefined. `text` must already be valid
 * JSON: then a string followed by ':' is always a key, and braces inside strings are skipped.
 */
export function duplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      let k = j + 1;
      while (isSpace(text.charCodeAt(k))) k++;
      if (top instanceof Set && text[k] === ':') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
      }
      i = j + 1;
      continue;
    }
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return undefined;
}

/** Decodes and parses a policy file's bytes; refusals name `field`. */
export function parseStrictJson(bytes: Uint8Array, field: string): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new KuraError('JSON_MALFORMED', `"${field}" is not valid UTF-8`, { field }, cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new KuraError('JSON_MALFORMED', `"${field}" is not valid JSON`, { field }, cause);
  }
  const twice = duplicateKey(text);
  if (twice !== undefined) {
    throw new KuraError(
      'POLICY_INVALID',
      `"${field}" has the key ${JSON.stringify(twice)} twice in one object`,
      {
        field,
        key: twice,
      },
    );
  }
  return value;
}

/** Decodes a text file's bytes (the denylist) as UTF-8, refusing anything else. */
export function decodeUtf8(bytes: Uint8Array, field: string): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new KuraError('POLICY_INVALID', `"${field}" is not valid UTF-8`, { field }, cause);
  }
}
