import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import {
  Buckets,
  cacheEntryKey,
  cacheFlightKey,
  type TaskCache,
} from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../tests/helpers/nats-server.js';
import { CacheStore } from './cache-store.js';

let server: TestNatsServer;
let connection: RiverConnection;

beforeAll(async () => {
  server = await startNatsServer();
  connection = await connectRiver({ servers: server.url, name: 'test' });
}, 60_000);

afterAll(async () => {
  await connection?.nc.close();
  await server?.dispose();
});

/** A cache store on the test server's buckets. */
async function openStore() {
  const kvm = new Kvm(connection.nc);
  const entries = await kvm.create(Buckets.cache, { history: 1 });
  const flights = await kvm.create(Buckets.cacheFlights, { history: 1 });
  const artifacts = await new Objm(connection.nc).create(Buckets.artifacts);
  const store = new CacheStore(connection.js, entries, flights, artifacts);
  return { store, entries, flights };
}

it('misses on an unreadable entry, saying so', async () => {
  const { store, entries } = await openStore();
  const key = 'c'.repeat(64);
  await entries.put(cacheEntryKey(key), new TextEncoder().encode('{"x":'));

  const found = await store.find({
    key,
    parts: {},
    identity: 'd'.repeat(64),
    use: true,
    ttlMs: 60_000,
  });

  expect(found).toEqual({
    unusable: 'the result recorded for this key is unreadable',
  });
});

it('claims or waits, but does not spin, on an unreadable flight', async () => {
  const { store, flights } = await openStore();
  const cache: TaskCache = {
    key: 'a'.repeat(64),
    parts: {},
    identity: 'b'.repeat(64),
    use: true,
    ttlMs: 60_000,
  };
  // Not JSON: written by hand, or by another version of River.
  await flights.put(
    cacheFlightKey(cache.key),
    new TextEncoder().encode('garbage'),
  );

  const taken = store.takeFlight(
    cache,
    { runId: 'run-x', taskId: 't-1' },
    () => false,
  );
  const timedOut = new Promise<'spinning'>((resolve) =>
    setTimeout(() => resolve('spinning'), 3_000).unref(),
  );
  expect(await Promise.race([taken, timedOut])).not.toBe('spinning');
}, 30_000);
