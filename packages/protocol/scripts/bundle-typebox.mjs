// Writes dist/typebox.js as one bundled file built from src/typebox.ts and
// the TypeBox installed in node_modules, in place of the compiler's
// output, which re-exports TypeBox's hundreds of modules (see
// src/typebox.ts for why). Bundling from the source, not from that
// output, keeps the bundle in step with the installed TypeBox even when
// `tsc -b` finds nothing to compile. Run after `tsc -b`.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const source = fileURLToPath(new URL('../src/typebox.ts', import.meta.url));
const output = fileURLToPath(new URL('../dist/typebox.js', import.meta.url));

await build({
  entryPoints: [source],
  outfile: output,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});
// The compiler's source map describes the file replaced.
await rm(`${output}.map`, { force: true });
