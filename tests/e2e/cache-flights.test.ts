import { readFile, rm } from 'node:fs/promises';
import type { LocalStack } from '@river/cli';
import { type RunEvent, Streams } from '@river/protocol';
import { connectRiver } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheResults,
  eventsOf,
  runEvents,
  type TaskStory,
  taskStories,
} from '../helpers/cache.js';
import { startTestStack } from '../helpers/river.js';

const FIXTURE = 'tests/fixtures/cache-flights.ts';

let stack: LocalStack;
let client: RiverClient;
const nonces: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  client = await RiverClient.connect({ servers: stack.natsUrl });
});

afterAll(async () => {
  await client?.close();
  await stack?.stop();
  for (const nonce of nonces) {
    await rm(`/tmp/river-cache-flights-${nonce}.runs`, { force: true });
    await rm(`/tmp/river-cache-flights-${nonce}.failed`, {
      recursive: true,
      force: true,
    });
  }
});

/** A nonce of this test file's own, whose marker files are removed. */
function newNonce(what: string): string {
  const nonce = `${what}-${process.pid}-${Date.now()}`;
  nonces.push(nonce);
  return nonce;
}

/** How many times the fixture's command ran with `nonce`. */
async function executions(nonce: string): Promise<number> {
  const runs = await readFile(
    `/tmp/river-cache-flights-${nonce}.runs`,
    'utf8',
  ).catch(() => '');
  return runs.split('\n').filter(Boolean).length;
}

/** Every task of the runs, with what it went through. */
function storiesOf(...runs: RunEvent[][]): TaskStory[] {
  return runs.flatMap((events) => [...taskStories(events).values()]);
}

/** Each task's id, cache results and attempts started, for a failure. */
function summary(stories: readonly TaskStory[]): string {
  return stories
    .map((story) => `${story.taskId} ${cacheResults(story)} ${story.started}`)
    .join('; ');
}

function started(stories: readonly TaskStory[]): number {
  return stories.reduce((total, story) => total + story.started, 0);
}

/** Waits, following the run, until `found` holds for one of its events. */
async function until(
  runId: string,
  found: (event: RunEvent) => boolean,
): Promise<void> {
  for await (const event of client.watch(runId)) {
    if (found(event)) {
      return;
    }
  }
  throw new Error(`Run ${runId} ended before the awaited event`);
}

describe('identical tasks asked for at once', () => {
  it('run once in one run; the others wait and reuse the result', async () => {
    const nonce = newNonce('one-run');
    const { runId } = await client.submit(FIXTURE, { params: { nonce } });
    const events = await runEvents(client, runId);
    const stories = storiesOf(events);

    expect(events.at(-1)).toMatchObject({ status: 'succeeded' });
    expect(stories).toHaveLength(10);
    expect(started(stories), summary(stories)).toBe(1);
    expect(await executions(nonce)).toBe(1);
    const [runner, ...waiters] = [...stories].sort(
      (a, b) => b.started - a.started,
    );
    expect(cacheResults(runner as TaskStory)).toEqual(['miss']);
    for (const waiter of waiters) {
      expect(cacheResults(waiter)).toEqual(['wait', 'hit']);
      expect(waiter.cache[0]?.changes[0]).toMatch(
        new RegExp(`task ${runner?.taskId} of run ${runId} runs the same key`),
      );
      expect(waiter.finished?.cached?.taskId).toBe(runner?.taskId);
      expect(waiter.dispatched).toBe(0);
    }
    expect(eventsOf(events, 'job.log').map((log) => log.message)).toEqual([
      'ok=10 cached=9',
    ]);
  });

  it('run once across two runs submitted together', async () => {
    const nonce = newNonce('two-runs');
    const params = { nonce, copies: '5' };
    const [first, second] = await Promise.all([
      client.submit(FIXTURE, { params }),
      client.submit(FIXTURE, { params }),
    ]);
    const histories = await Promise.all([
      runEvents(client, first.runId),
      runEvents(client, second.runId),
    ]);
    const stories = storiesOf(...histories);

    for (const events of histories) {
      expect(events.at(-1)).toMatchObject({ status: 'succeeded' });
    }
    expect(stories).toHaveLength(10);
    expect(started(stories), summary(stories)).toBe(1);
    expect(await executions(nonce)).toBe(1);
    const hits = stories.filter((story) => story.finished?.cached);
    expect(hits).toHaveLength(9);
    const origins = new Set(hits.map((story) => story.finished?.cached?.runId));
    expect(origins.size).toBe(1);
  });

  it('hand over to one waiter when the running one fails', async () => {
    const nonce = newNonce('takeover');
    const { runId } = await client.submit(FIXTURE, {
      params: { nonce, failFirst: 'yes' },
    });
    const events = await runEvents(client, runId);
    const stories = storiesOf(events);

    expect(started(stories), summary(stories)).toBe(2);
    expect(await executions(nonce)).toBe(2);
    const failed = stories.filter(
      (story) => story.finished?.outcome.ok !== true,
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]?.finished?.outcome.exitCode).toBe(7);
    expect(cacheResults(failed[0] as TaskStory)).toEqual(['miss']);
    const takeover = stories.filter(
      (story) => story.started === 1 && story.finished?.outcome.ok,
    );
    expect(takeover.map(cacheResults)).toEqual([['wait', 'miss']]);
    const hits = stories.filter((story) => story.finished?.cached);
    expect(hits).toHaveLength(8);
    for (const hit of hits) {
      expect(hit.finished?.cached?.taskId).toBe(takeover[0]?.taskId);
    }
    expect(eventsOf(events, 'job.log').map((log) => log.message)).toEqual([
      'ok=9 cached=8',
    ]);
  });
});

describe('a run cancelled while its task waits for an identical one', () => {
  it('ends that task as cancelled, without running it', async () => {
    const nonce = newNonce('cancel');
    const params = { nonce, copies: '1', seconds: '60' };
    const holder = await client.submit(FIXTURE, { params });
    await until(holder.runId, (event) => event.type === 'task.started');
    try {
      const waiter = await client.submit(FIXTURE, { params });
      await until(
        waiter.runId,
        (event) => event.type === 'task.cache' && event.result === 'wait',
      );

      await client.cancel(waiter.runId, 'no longer needed');
      const events = await runEvents(client, waiter.runId);

      expect(events.at(-1)).toMatchObject({
        type: 'run.finished',
        status: 'cancelled',
      });
      const [story] = storiesOf(events);
      expect(cacheResults(story as TaskStory)).toEqual(['wait']);
      expect(story?.started).toBe(0);
      expect(story?.finished?.outcome).toMatchObject({
        ok: false,
        reason: 'cancelled',
        message:
          'Cancelled while it waited for an identical task: no longer needed',
      });
      expect(await executions(nonce)).toBe(1);
    } finally {
      await client.cancel(holder.runId, 'test over');
      await runEvents(client, holder.runId);
    }
  });

  it('leaves the key to a waiter when the running one is cancelled', async () => {
    const nonce = newNonce('holder-cancelled');
    const params = { nonce, copies: '1', seconds: '60' };
    const holder = await client.submit(FIXTURE, { params });
    await until(holder.runId, (event) => event.type === 'task.started');
    const waiter = await client.submit(FIXTURE, { params });
    try {
      await until(
        waiter.runId,
        (event) => event.type === 'task.cache' && event.result === 'wait',
      );

      await client.cancel(holder.runId, 'holder cancelled');
      await until(waiter.runId, (event) => event.type === 'task.started');
      // `task.started` comes as the sandbox starts the command, which
      // notes its run a moment later: the waiter is not cancelled first.
      await expect.poll(() => executions(nonce)).toBe(2);

      const [story] = storiesOf(await runEvents(client, holder.runId));
      expect(story?.finished?.outcome.reason).toBe('cancelled');
    } finally {
      await client.cancel(waiter.runId, 'test over');
    }
    const [taker] = storiesOf(await runEvents(client, waiter.runId));
    expect(cacheResults(taker as TaskStory)).toEqual(['wait', 'miss']);
    expect(taker?.started).toBe(1);
    expect(await executions(nonce)).toBe(2);
  });

  it('says once that a task waits, however long it waits', async () => {
    // The events stream forgets message ids after its duplicate window;
    // a short window stands for a wait of hours.
    const nats = await connectRiver({ servers: stack.natsUrl, name: 'window' });
    const { config } = await nats.jsm.streams.info(Streams.events);
    await nats.jsm.streams.update(Streams.events, {
      ...config,
      duplicate_window: 500_000_000,
    });
    try {
      const nonce = newNonce('long-wait');
      const params = { nonce, copies: '2', seconds: '3' };
      const { runId } = await client.submit(FIXTURE, { params });
      const stories = storiesOf(await runEvents(client, runId));

      expect(stories.map(cacheResults).sort()).toEqual([
        ['miss'],
        ['wait', 'hit'],
      ]);
    } finally {
      await nats.jsm.streams.update(Streams.events, config);
      await nats.nc.close();
    }
  });
});
