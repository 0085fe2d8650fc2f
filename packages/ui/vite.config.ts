import { defineConfig } from 'vite';

// Preact's JSX runtime; no plugin needed for it.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  worker: { format: 'es' },
});
