import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/river.js';

const DOCS = ['docs/authoring.md'];
const SNIPPET = /<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)\n```/g;

describe('the documentation', () => {
  for (const doc of DOCS) {
    it(`${doc} shows only code that its source files still hold`, async () => {
      const text = await readFile(join(REPO_ROOT, doc), 'utf8');
      const snippets = [...text.matchAll(SNIPPET)];

      expect(snippets.length).toBeGreaterThan(5);
      for (const [, file, code] of snippets) {
        const source = await readFile(join(REPO_ROOT, file as string), 'utf8');
        expect(source, `a snippet of ${doc} from ${file}`).toContain(code);
      }
    });
  }
});
