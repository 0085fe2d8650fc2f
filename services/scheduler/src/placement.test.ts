import { describe, expect, it } from 'vitest';
import {
  type Load,
  placeTasks,
  type QueueState,
  type WaitingTask,
} from './placement.js';

const noLoad: Load = { perRun: new Map(), perKey: new Map() };

function task(
  key: string,
  fields: Partial<Omit<WaitingTask, 'key'>> = {},
): WaitingTask {
  return {
    key,
    runId: key.split('.')[0] ?? key,
    pool: 'default',
    labels: [],
    priority: 0,
    requestedAt: 0,
    sequence: 0,
    concurrency: [],
    ...fields,
  };
}

function queue(room: number, fields: Partial<QueueState> = {}): QueueState {
  return { pool: 'default', labels: [], slots: room, room, ...fields };
}

function keys(placement: ReturnType<typeof placeTasks>): string[] {
  return placement.dispatches.map(({ task }) => task.key);
}

describe('placing waiting tasks', () => {
  it('alternates between runs, so a small run behind a big one goes at once', () => {
    const big = Array.from({ length: 100 }, (_, i) =>
      task(`big.t${i}`, { requestedAt: i }),
    );
    const small = [1, 2, 3].map((i) =>
      task(`small.t${i}`, { requestedAt: 1_000 + i }),
    );

    const placed = placeTasks([...big, ...small], [queue(6)], noLoad);

    expect(keys(placed)).toEqual([
      'big.t0',
      'small.t1',
      'big.t1',
      'small.t2',
      'big.t2',
      'small.t3',
    ]);
  });

  it('gives the next room to the run with the fewest tasks dispatched', () => {
    const load: Load = { perRun: new Map([['big', 50]]), perKey: new Map() };
    const waiting = [
      task('big.t0', { requestedAt: 0 }),
      task('small.t0', { requestedAt: 5 }),
      task('small.t1', { requestedAt: 6 }),
    ];

    expect(keys(placeTasks(waiting, [queue(2)], load))).toEqual([
      'small.t0',
      'small.t1',
    ]);
  });

  it('places a higher priority first, whatever its run or age', () => {
    const waiting = [
      task('a.t0', { requestedAt: 0 }),
      task('b.t0', { requestedAt: 9, priority: 10 }),
      task('a.t1', { requestedAt: 1, priority: -5 }),
    ];

    expect(keys(placeTasks(waiting, [queue(3)], noLoad))).toEqual([
      'b.t0',
      'a.t0',
      'a.t1',
    ]);
  });

  it('sends a task only where every label it asks for is offered', () => {
    const gcc = queue(5, { labels: ['gcc'] });
    const both = queue(5, { labels: ['docker', 'gcc'] });
    const plain = queue(5);
    const waiting = [
      task('r.docker', { labels: ['docker'] }),
      task('r.gcc', { labels: ['gcc'] }),
      task('r.any'),
    ];

    const placed = placeTasks(waiting, [gcc, both, plain], noLoad);

    const where = Object.fromEntries(
      placed.dispatches.map(({ task, queue }) => [task.key, queue.labels]),
    );
    expect(where['r.docker']).toEqual(['docker', 'gcc']);
    expect(where['r.any']).toEqual([]);
    expect(['gcc', 'docker,gcc']).toContain(where['r.gcc']?.join(','));
  });

  it('holds a task no live sandbox offers its labels to, saying so', () => {
    const placed = placeTasks(
      [task('r.gpu', { labels: ['cuda'], pool: 'gpu' })],
      [queue(5), queue(5, { pool: 'gpu', labels: ['rocm'] })],
      noLoad,
    );

    expect(placed.dispatches).toEqual([]);
    expect(placed.holds).toMatchObject([
      {
        cause: 'no-sandbox',
        reason: 'no live sandbox of pool gpu offers labels cuda',
      },
    ]);
  });

  it('counts a queue whose sandboxes all drain as no sandbox', () => {
    const placed = placeTasks([task('r.t')], [queue(0, { slots: 0 })], noLoad);

    expect(placed.holds.map((hold) => hold.cause)).toEqual(['no-sandbox']);
  });

  it('waits silently when the queues are only full', () => {
    const placed = placeTasks([task('r.t')], [queue(0, { slots: 4 })], noLoad);

    expect(placed).toEqual({ dispatches: [], holds: [] });
  });

  it('keeps at most max tasks of a concurrency key, across runs, in request order', () => {
    const deploy = [{ key: 'deploy-production', max: 1 }];
    const waiting = [
      task('b.deploy', { requestedAt: 2, concurrency: deploy }),
      task('a.deploy', { requestedAt: 1, concurrency: deploy }),
      task('c.deploy', { requestedAt: 3, concurrency: deploy }),
      task('c.other', { requestedAt: 4 }),
    ];

    const placed = placeTasks(waiting, [queue(10)], noLoad);

    expect(keys(placed)).toEqual(['a.deploy', 'c.other']);
    expect(placed.holds.map((hold) => hold.task.key).sort()).toEqual([
      'b.deploy',
      'c.deploy',
    ]);
    expect(placed.holds[0]?.reason).toBe(
      'waiting for concurrency limit deploy-production (at most 1 at a time)',
    );
  });

  it('counts tasks already holding a key against its limit', () => {
    const db = [{ key: 'shared-db', max: 4 }];
    const load: Load = {
      perRun: new Map(),
      perKey: new Map([['shared-db', 3]]),
    };
    const waiting = [0, 1, 2].map((i) =>
      task(`r.q${i}`, { requestedAt: i, concurrency: db }),
    );

    expect(keys(placeTasks(waiting, [queue(10)], load))).toEqual(['r.q0']);
  });

  it('lets a later waiter of a key go when the one before it can run nowhere', () => {
    const lock = [{ key: 'lock', max: 1 }];
    const waiting = [
      task('r.first', { requestedAt: 0, concurrency: lock, labels: ['gpu'] }),
      task('r.second', { requestedAt: 1, concurrency: lock }),
    ];

    const placed = placeTasks(waiting, [queue(5)], noLoad);

    expect(keys(placed)).toEqual(['r.second']);
  });

  it('keeps a waiter of a key behind the first one while that one only lacks room', () => {
    const lock = [{ key: 'lock', max: 2 }];
    const waiting = [
      task('r.first', { requestedAt: 0, concurrency: lock, labels: ['big'] }),
      task('r.second', { requestedAt: 1, concurrency: lock }),
    ];
    const full = queue(0, { labels: ['big'], slots: 1 });

    const placed = placeTasks(waiting, [full, queue(5)], noLoad);

    expect(keys(placed)).toEqual([]);
    expect(placed.holds.map((hold) => hold.task.key)).toEqual(['r.second']);
  });

  it('prefers the queue with more room, then the one with fewer labels', () => {
    const special = queue(3, { labels: ['gpu'] });
    const plain = queue(3);

    const placed = placeTasks([task('r.t')], [special, plain], noLoad);

    expect(placed.dispatches[0]?.queue).toBe(plain);
    expect(plain.room).toBe(2);
  });
});
