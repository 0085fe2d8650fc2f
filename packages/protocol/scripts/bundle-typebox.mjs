// Replaces the compiled dist/typebox.js, which re-exports TypeBox's
// hundreds of modules, with one bundled file of the same exports (see
// src/typebox.ts for why). Run after `tsc -b`.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const output = fileURLToPath(new URL('../dist/typebox.js', import.meta.url));

await build({
  entryPoints: [output],
  outfile: output,
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});
// The compiler's source map describes the file replaced.
await rm(`${output}.map`, { force: true });
