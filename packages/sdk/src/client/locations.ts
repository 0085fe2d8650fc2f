import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import type { ProjectBundle } from './bundler.js';

/**
 * Where each job is defined in the project's own files, as `file:line`,
 * from the bundle's source map; jobs whose place is unknown are left out.
 */
export function jobLocations(
  bundle: ProjectBundle,
  jobs: readonly { name: string; definedAt?: string }[],
): Map<string, string> {
  const locations = new Map<string, string>();
  if (bundle.sourceMap === '') {
    return locations;
  }
  const map = new SourceMap(JSON.parse(bundle.sourceMap));
  for (const job of jobs) {
    const [line, column] = (job.definedAt ?? '').split(':').map(Number);
    if (line === undefined || column === undefined || Number.isNaN(line)) {
      continue;
    }
    const entry = map.findEntry(line - 1, Math.max(0, column - 1)) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (
      entry.originalSource === undefined ||
      entry.originalLine === undefined
    ) {
      continue;
    }
    // Sources are named relative to the bundle, which sits beside the file.
    const source = resolve(
      dirname(bundle.path),
      entry.originalSource.replace(/^file:\/\//, ''),
    );
    const shown = relative(process.cwd(), source) || source;
    locations.set(job.name, `${shown}:${entry.originalLine + 1}`);
  }
  return locations;
}
