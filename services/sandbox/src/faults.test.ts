import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JsMsg } from '@nats-io/jetstream';
import { Consumers, Streams } from '@river/protocol';
import { delay } from '@river/protocol/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Harness,
  processesMatching,
  startHarness,
} from './testing/harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The pool consumer's ack wait, in milliseconds. */
async function poolAckWaitMs(of: Harness): Promise<number> {
  const info = await of.client.jsm.consumers.info(
    Streams.dispatch,
    Consumers.sandboxPool(of.pool),
  );
  return (info.config.ack_wait ?? 0) / 1_000_000;
}

describe('a dispatch whose holder stopped heartbeating', () => {
  it('is reported lost by the sandbox that gets it again, without running it', async () => {
    const h = await startHarness({ taskLostMs: 1_000 });
    harness = h;
    await h.sandbox.close();
    const marker = join(h.workDir, 'ran-a-second-time');
    const dispatch = await h.dispatch({ command: `touch ${marker}` });

    // A holder that took the dispatch and then went silent.
    const consumer = await h.client.js.consumers.get(
      Streams.dispatch,
      Consumers.sandboxPool(h.pool),
    );
    // A loaded machine (this suite also runs inside a task) can miss the
    // pull's idle heartbeats: that is not the sandbox's doing, so pull again.
    let held: JsMsg | null = null;
    for (let tries = 0; held === null && tries < 3; tries++) {
      held = await consumer.next({ expires: 5_000 }).catch((error) => {
        if (!String(error).includes('heartbeats missed')) {
          throw error;
        }
        return null;
      });
    }
    expect(held?.info.deliveryCount).toBe(1);
    await h.startAnotherSandbox({ sandboxId: 'sandbox-rescuer' });
    const result = await h.result(dispatch);

    expect(result).toMatchObject({
      attempt: 1,
      sandboxId: 'sandbox-rescuer',
      outcome: { ok: false, reason: 'lost', exitCode: null, files: [] },
    });
    expect(result.outcome.message).toMatch(/no heartbeat for 1000 ms/);
    expect(result.outcome.message).toMatch(
      /delivery 2, to sandbox sandbox-rescuer/,
    );
    expect(existsSync(marker)).toBe(false);
    // The sandbox publishes the result before it acknowledges the dispatch,
    // so the acknowledgement may reach the server a moment after the result.
    await vi.waitFor(async () => {
      const info = await h.client.jsm.consumers.info(
        Streams.dispatch,
        Consumers.sandboxPool(h.pool),
      );
      expect(info.num_pending + info.num_ack_pending).toBe(0);
    });
  });

  it('is kept while it runs past the lost timeout, by heartbeats', async () => {
    const h = await startHarness({ taskLostMs: 1_000 });
    harness = h;

    const [, result] = await h.run({ command: 'sleep 2.5; echo still mine' });

    expect(result.outcome).toMatchObject({ ok: true, stdout: 'still mine\n' });
    expect(result.sandboxId).toBe('sandbox-under-test');
  });
});

describe('the lost timeout', () => {
  it("is the pool consumer's ack wait, and a restart with another value updates it", async () => {
    const h = await startHarness({ taskLostMs: 5_000 });
    harness = h;
    expect(await poolAckWaitMs(h)).toBe(5_000);

    await h.sandbox.close();
    await h.startAnotherSandbox({ sandboxId: 'restarted', taskLostMs: 2_000 });

    expect(await poolAckWaitMs(h)).toBe(2_000);
  });
});

describe('a stopping sandbox', () => {
  it('lets short tasks finish, hands back those past the grace and pulls nothing new', async () => {
    const h = await startHarness({ slots: 2, drainGraceMs: 1_500 });
    harness = h;
    const marker = 'river-sandbox-drain-probe';
    const short = await h.dispatch({ command: 'sleep 0.8; echo finished' });
    const long = await h.dispatch({ command: `sleep 30.7 # ${marker}` });
    await h.events(short.runId, 'task.started', 1);
    await h.events(long.runId, 'task.started', 1);

    const stopping = Date.now();
    await h.sandbox.close();
    const tookMs = Date.now() - stopping;
    const later = await h.dispatch({ command: 'echo too late' });
    await delay(1_000);

    expect((await h.result(short)).outcome).toMatchObject({
      ok: true,
      reason: 'exited',
      stdout: 'finished\n',
    });
    const handedBack = (await h.result(long)).outcome;
    expect(handedBack).toMatchObject({ ok: false, reason: 'handed-back' });
    expect(handedBack.message).toMatch(/1500 ms \(RIVER_DRAIN_GRACE_MS\)/);
    expect(tookMs).toBeGreaterThanOrEqual(1_500);
    expect(tookMs).toBeLessThan(8_000);
    expect(await processesMatching(marker)).toEqual([]);

    const info = await h.client.jsm.consumers.info(
      Streams.dispatch,
      Consumers.sandboxPool(h.pool),
    );
    expect(info.num_pending).toBe(1);
    expect(info.num_ack_pending).toBe(0);
    expect(later.attempt).toBe(1);
  });
});
