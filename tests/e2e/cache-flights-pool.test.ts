import type { LocalStack } from '@river/cli';
import type { RunEvent } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents } from '../helpers/cache.js';
import { startTestStack } from '../helpers/river.js';

const FIXTURE = 'tests/fixtures/cache-flights-pool.ts';

/** How long a waiter may take to claim a key its holder let go of. */
const TAKEOVER_MS = 15_000;

let stack: LocalStack;
let client: RiverClient;

beforeAll(async () => {
  stack = await startTestStack();
  client = await RiverClient.connect({ servers: stack.natsUrl });
});

afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

/**
 * Whether `found` holds for an event of the run within `ms`; stops
 * following the run either way.
 */
async function within(
  runId: string,
  found: (event: RunEvent) => boolean,
  ms: number,
): Promise<boolean> {
  const events = client.watch(runId)[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        return false;
      }
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        events.next(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left);
        }),
      ]);
      clearTimeout(timer);
      if (next === 'timeout' || next.done) {
        return false;
      }
      if (found(next.value)) {
        return true;
      }
    }
  } finally {
    void events.return?.(undefined);
  }
}

describe('a key held by a task that no sandbox took', () => {
  it('goes to a waiter once the holder run is cancelled', async () => {
    const nonce = `pool-${process.pid}-${Date.now()}`;
    // No sandbox serves this pool: the task is dispatched, never taken.
    const holder = await client.submit(FIXTURE, {
      params: { nonce, pool: 'nobody-serves-this' },
    });
    expect(
      await within(
        holder.runId,
        (event) => event.type === 'task.cache' && event.result === 'miss',
        TAKEOVER_MS,
      ),
    ).toBe(true);
    const waiter = await client.submit(FIXTURE, { params: { nonce } });
    try {
      expect(
        await within(
          waiter.runId,
          (event) => event.type === 'task.cache' && event.result === 'wait',
          TAKEOVER_MS,
        ),
      ).toBe(true);

      await client.cancel(holder.runId, 'wrong pool');
      const holderEvents = await runEvents(client, holder.runId);
      expect(holderEvents.at(-1)).toMatchObject({ status: 'cancelled' });

      // The docs: "if the running task fails or is cancelled, one waiter
      // claims the key and runs it".
      const claimed = await within(
        waiter.runId,
        (event) => event.type === 'task.finished',
        TAKEOVER_MS,
      );
      expect(claimed, 'the waiter still waits for a cancelled task').toBe(true);
    } finally {
      await client.cancel(waiter.runId, 'test over');
      await runEvents(client, waiter.runId);
    }
  }, 90_000);
});
