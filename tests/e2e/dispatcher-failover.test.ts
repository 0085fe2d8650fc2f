import type { ServiceProcess } from '@river/cli';
import { Buckets, DispatcherLease } from '@river/protocol';
import { connectRiver, parseJsonValue } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  FaultTestStack,
  signalAndWait,
} from '../helpers/fault-stack.js';

let river: FaultTestStack;

beforeAll(async () => {
  river = await FaultTestStack.start(['controller', 'log-collector'], {
    RIVER_SLOTS: '4',
    RIVER_SCHEDULER_ACK_WAIT_MS: '2000',
  });
  await river.startService('sandbox');
  await river.startService('sandbox');
}, 60_000);

afterAll(async () => {
  await river?.stop();
});

/** The scheduler process that holds the dispatcher lease now. */
async function leaseHolder(
  schedulers: readonly ServiceProcess[],
): Promise<ServiceProcess | undefined> {
  const reader = await connectRiver({
    servers: river.stack.natsUrl,
    name: 'lease-reader',
  });
  try {
    const kv = await reader.kvm.open(Buckets.schedulers);
    const entry = await kv.get('dispatcher');
    const lease =
      entry === null ? undefined : parseJsonValue(entry.value, DispatcherLease);
    return schedulers.find((scheduler) =>
      lease?.holder.includes(`-${scheduler.child.pid}-`),
    );
  } finally {
    await reader.nc.close();
  }
}

describe('the dispatching scheduler', () => {
  it('is replaced by another replica when killed, and every task runs once', {
    timeout: 120_000,
  }, async () => {
    const schedulers = [
      await river.startService('scheduler'),
      await river.startService('scheduler'),
    ];
    const runId = await river.submit('fleet-load.ts', {
      tasks: '200',
      command: 'sleep 0.05',
    });
    let killedAt = 0;
    let killed: ServiceProcess | undefined;
    const events = await river.follow(runId, async (event) => {
      if (killed === undefined && event.type === 'task.finished') {
        killed = await leaseHolder(schedulers);
        killedAt = Date.now();
        if (killed !== undefined) {
          await signalAndWait(killed, 'SIGKILL');
        }
      }
    });

    expect(killed).toBeDefined();
    expect(events.at(-1)).toMatchObject({
      type: 'run.finished',
      status: 'succeeded',
    });
    const started = countBy(
      events.filter((event) => event.type === 'task.started'),
      (event) => ('taskId' in event ? event.taskId : ''),
    );
    expect(started.size).toBe(200);
    expect([...started.values()].every((count) => count === 1)).toBe(true);
    const afterKill = events.find(
      (event) => event.type === 'task.dispatched' && event.at > killedAt + 100,
    );
    process.stdout.write(
      `dispatcher failover: first dispatch ${(afterKill?.at ?? 0) - killedAt} ms after the kill\n`,
    );
  });
});
