import { encode, Streams } from '@river/protocol';
import { delay } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Harness, startHarness } from './testing/harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ slots: 1 });
});

afterAll(async () => {
  await harness?.close();
});

async function dispatchQueueDepth(): Promise<number> {
  const info = await harness.client.jsm.streams.info(Streams.dispatch);
  return info.state.messages;
}

describe('dispatch messages', () => {
  it('acks malformed and wrong-version messages and runs the next good task', async () => {
    await harness.publishRaw(Buffer.from([0xc1, 0xff, 0x00]));
    await harness.publishRaw(
      encode('taskDispatch', {
        schema: 2,
        runId: 'run-x',
        taskId: 't-1',
        attempt: 1,
      } as never),
    );
    await harness.publishRaw(
      encode('taskDispatch', {
        // A version-1 message that lacks its spec.
        schema: 1,
        runId: 'run-x',
        taskId: 't-2',
        job: 'job',
        name: 'broken',
        attempt: 1,
      } as never),
    );
    const [, result] = await harness.run({ command: 'echo still here' });

    expect(result.outcome.stdout).toBe('still here\n');
    // Acked messages leave the work queue; the ack follows the result.
    await vi.waitFor(async () => expect(await dispatchQueueDepth()).toBe(0));
  });

  it('holds only as many tasks as it has slots', async () => {
    const first = await harness.dispatch({ command: 'sleep 1.5' });
    const second = await harness.dispatch({ command: 'echo second' });
    await delay(700);

    const consumer = await harness.client.jsm.consumers.info(
      Streams.dispatch,
      `sandbox-${harness.pool}`,
    );
    const firstResult = await harness.result(first);
    const secondResult = await harness.result(second);

    expect(consumer.num_ack_pending).toBe(1);
    expect(consumer.num_pending).toBe(1);
    expect(firstResult.outcome.exitCode).toBe(0);
    expect(secondResult.outcome.stdout).toBe('second\n');
  });

  it('finishes and reports a running task when it is closed', async () => {
    const running = await harness.dispatch({
      command: 'sleep 1; echo finished',
    });
    await delay(400);

    await harness.sandbox.close();
    const result = await harness.result(running);

    expect(result.outcome.stdout).toBe('finished\n');
    await vi.waitFor(async () => expect(await dispatchQueueDepth()).toBe(0));
  });
});
