import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../../tests/helpers/nats-server.js';
import { Buckets, Streams, Subjects } from '../subjects.js';
import { openFleetBucket } from './fleet-buckets.js';
import { followBucket } from './follow-bucket.js';
import { createServiceLogger } from './logger.js';
import { connectRiver, type RiverConnection } from './nats.js';
import { requireStreams } from './streams.js';

let server: TestNatsServer;
let river: RiverConnection;
const log = createServiceLogger('fleet-buckets-test', 'silent');

beforeAll(async () => {
  server = await startNatsServer();
  river = await connectRiver({ servers: server.url, name: 'fleet-test' });
});

afterAll(async () => {
  await river?.nc.close();
  await server?.dispose();
});

describe('a dispatch stream made by an older River', () => {
  it('is given the label sets’ subjects, keeping its messages', async () => {
    // The test server comes with River's streams: make the old one.
    await river.jsm.streams.delete(Streams.dispatch).catch(() => false);
    await river.jsm.streams.add({
      name: Streams.dispatch,
      subjects: ['river.v1.dispatch.*'],
      retention: 'workqueue' as never,
    });
    await river.js.publish(Subjects.dispatch('default'), new Uint8Array([1]));

    await requireStreams(river.jsm, [Streams.dispatch], 1, 1);

    const info = await river.jsm.streams.info(Streams.dispatch);
    expect(info.config.subjects).toEqual([Subjects.dispatchAll]);
    expect(info.state.messages).toBe(1);
    await river.js.publish(
      Subjects.dispatch('default', ['gcc', 'docker']),
      new Uint8Array([2]),
    );
    expect(Subjects.dispatch('default', ['gcc', 'docker'])).toBe(
      'river.v1.dispatch.default.docker~gcc',
    );
  });
});

describe('following a bucket', () => {
  it('gives each key’s last value, then every change, until stopped', async () => {
    const kv = await openFleetBucket(river, Buckets.sandboxes, 1);
    await kv.put('default.a', new TextEncoder().encode('1'));
    const seen: string[] = [];
    const followed = followBucket(
      kv,
      Buckets.sandboxes,
      (entry) => seen.push(`${entry.key}=${entry.string()}`),
      log,
      200,
    );
    await kv.put('default.b', new TextEncoder().encode('2'));
    await expect.poll(() => seen).toEqual(['default.a=1', 'default.b=2']);
    followed.stop();
    await kv.put('default.c', new TextEncoder().encode('3'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen).toHaveLength(2);
  });
});
