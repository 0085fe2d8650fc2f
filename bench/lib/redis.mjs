/**
 * A redis-server of the bench's own, on a free loopback port with no
 * persistence, and BullMQ queues and workers on it: the job-queue peer
 * that River is compared with.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { stopOnInterrupt } from './cleanup.mjs';
import { freePort } from './processes.mjs';

/** Starts redis-server; resolves once it accepts connections. */
export async function startRedis() {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'river-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      10_000,
    );
    child.stdout.on('data', (data) => {
      output += data;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-server cannot start: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return {
    connection: { host: '127.0.0.1', port },
    pid: child.pid,
    stop: stopOnInterrupt(async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    }),
  };
}

/**
 * A BullMQ queue on `redis` whose worker runs `handle(job)` for each job,
 * `concurrency` at a time. `close()` takes it all down.
 */
export async function bullQueue(redis, name, concurrency, handle) {
  const connection = redis.connection;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const worker = new Worker(name, handle, { connection, concurrency });
  await Promise.all([
    queue.waitUntilReady(),
    events.waitUntilReady(),
    worker.waitUntilReady(),
  ]);
  return {
    queue,
    events,
    worker,
    async close() {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    },
  };
}
