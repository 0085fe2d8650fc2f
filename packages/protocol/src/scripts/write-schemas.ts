/**
 * Writes every message schema out as JSON Schema, one file per message,
 * into `packages/protocol/schemas/` (or the directory given as argument).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageSchemas } from '../codec.js';
import { CacheEntry, CacheFlight, CacheLastRequest } from '../schemas/cache.js';
import { EventSchemas } from '../schemas/event.js';
import {
  DispatcherLease,
  PoolSummary,
  SandboxPresence,
} from '../schemas/fleet.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const target = resolve(process.argv[2] ?? join(here, '../../schemas'));
await mkdir(target, { recursive: true });

const all: Record<string, unknown> = { ...MessageSchemas };
for (const [type, schema] of Object.entries(EventSchemas)) {
  all[`event.${type}`] = schema;
}
// Values of the cache buckets, which other tools may read too.
all['cache-entry'] = CacheEntry;
all['cache-last-request'] = CacheLastRequest;
all['cache-flight'] = CacheFlight;
// Values of the fleet buckets, read by `river status` and dashboards.
all['sandbox-presence'] = SandboxPresence;
all['pool-summary'] = PoolSummary;
all['dispatcher-lease'] = DispatcherLease;
for (const [name, schema] of Object.entries(all)) {
  const document = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: name,
    ...(schema as object),
  };
  await writeFile(
    join(target, `${name}.schema.json`),
    `${JSON.stringify(document, null, 2)}\n`,
  );
}
console.log(`Wrote ${Object.keys(all).length} schemas to ${target}`);
