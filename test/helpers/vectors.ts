// Reads the verbatim BIP test vectors under test/vectors/ (see its README for sources).
import { readFileSync } from 'node:fs';

export function vectorText(name: string): string {
  return readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8');
}

export function vectorJson<T>(name: string): T {
  return JSON.parse(vectorText(name)) as T;
}

/** Bullet items `* Description: <tt>value</tt>` of a mediawiki section, with the heading text before them. */
export function mediawikiItems(text: string): { section: string; description: string; value: string }[] {
  const items: { section: string; description: string; value: string }[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const item = /^\* (.*?):? ?<tt>(.*)<\/tt>\s*$/.exec(line);
    if (item) items.push({ section, description: (item[1] ?? '').replace(/:$/, ''), value: item[2] ?? '' });
    else if (line.trim() !== '' && !line.startsWith('*')) section = line.trim();
  }
  return items;
}
