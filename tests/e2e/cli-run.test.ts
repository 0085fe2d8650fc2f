import { execFileSync } from 'node:child_process';
import { type LocalStack, startEmbeddedNats } from '@river/cli';
import { Streams, Subjects } from '@river/protocol';
import { connectRiver } from '@river/protocol/internal';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer } from '../helpers/nats-server.js';
import {
  type BackgroundRiver,
  river,
  riverIntoHead,
  runIdOf,
  servicesAlive,
  spawnRiver,
  startTestStack,
  TEST_MAX_OUTPUT_BYTES,
} from '../helpers/river.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('river run', () => {
  it('runs a two-job pipeline whose second job loops over the first one’s result', async () => {
    const result = await river(
      ['run', 'tests/fixtures/hello.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ greet succeeded/);
    expect(result.stdout).toMatch(/shout: shouted 2 words/);
    expect(result.stdout).toMatch(/run succeeded/);
  });

  it('exits with its run’s status when its reader closes the pipe', () => {
    const result = riverIntoHead(
      ['run', 'tests/fixtures/failing-task.ts'],
      stack.natsUrl,
    );

    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(result.stderr).toMatch(/^Run run-\S+ failed\./);
    expect(result.stdout.split('\n')).toHaveLength(2);
    expect(result.status).toBe(1);
  });

  it('prints the stored log of a run with river logs', async () => {
    const run = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);
    const runId = runIdOf(run.stdout);

    const logs = await river(['logs', runId, 'greet-1'], stack.natsUrl);

    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('hello from river\n');
  });

  it('follows a task’s log while it runs, one stream at a time', async () => {
    const run = spawnRiver(
      ['run', 'tests/fixtures/slow-output.ts'],
      stack.natsUrl,
    );
    const runId = await run.runId;

    const followed = await river(
      ['logs', runId, 'ticker-1', '--follow', '--stream', 'stdout'],
      stack.natsUrl,
    );
    await run.exited;

    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
  });

  it('prints a run’s events as JSON lines with river events --json', async () => {
    const run = await river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl);
    const runId = runIdOf(run.stdout);

    const events = await river(['events', runId, '--json'], stack.natsUrl);
    const types = events.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).type);

    expect(events.code).toBe(0);
    expect(types[0]).toBe('run.submitted');
    expect(types.at(-1)).toBe('run.finished');
    expect(types.filter((type) => type === 'task.finished')).toHaveLength(3);
  });

  it('fails the run when a task fails, and shows the task’s last log lines', async () => {
    const result = await river(
      ['run', 'tests/fixtures/failing-task.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/fails-1 failed with exit code 3/);
    expect(result.stdout).toMatch(/│ something broke/);
    expect(result.stdout).toMatch(/- after skipped/);
    expect(result.stdout).toMatch(/run failed/);
    expect(servicesAlive(stack)).toBe(true);
  });

  it('reports a missing command as exit 127 instead of crashing', async () => {
    const result = await river(
      ['run', 'tests/fixtures/missing-command.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/exit code 127 command-not-found/);
    expect(result.stdout).toMatch(/missing-2 command not found \(exit 127\)/);
    expect(servicesAlive(stack)).toBe(true);
  });

  it('kills the whole process tree of a task that exceeds its timeout', async () => {
    const result = await river(
      ['run', 'tests/fixtures/timeout.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/slow-1 timed out after/);
    const survivors = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /^sleep 31[56]$/.test(line.trim()));
    expect(survivors).toEqual([]);
    expect(servicesAlive(stack)).toBe(true);
  });
});

describe('river run interrupted', () => {
  it('exits with 130, leaves the run going, and deletes its own consumer', async () => {
    const connection = await connectRiver({
      servers: stack.natsUrl,
      name: 'interrupt-test',
    });
    try {
      const background = spawnRiver(
        ['run', 'tests/fixtures/cancel.ts'],
        stack.natsUrl,
      );
      const runId = await background.runId;
      const filter = Subjects.runEvents(runId);
      const followers = async () => {
        let count = 0;
        for await (const info of connection.jsm.consumers.list(
          Streams.events,
        )) {
          const { filter_subject, filter_subjects } = info.config;
          if (filter_subject === filter || filter_subjects?.[0] === filter) {
            count++;
          }
        }
        return count;
      };
      // The command's watch and the controller's feed of the run.
      await expect.poll(followers).toBe(2);

      background.interrupt();

      expect(await background.exited).toBe(130);
      await expect.poll(followers, { timeout: 3_000 }).toBe(1);
      const cancelled = await river(['cancel', runId], stack.natsUrl);
      expect(cancelled.code).toBe(0);
    } finally {
      await connection.nc.close();
    }
  });
});

describe('river run with no controller', () => {
  let background: BackgroundRiver | undefined;

  afterEach(() => {
    // A failed expectation must not leave the command waiting.
    background?.kill();
    background = undefined;
  });

  it('says after 5 s that no controller has taken the run, and leaves it queued', async () => {
    const nats = await startNatsServer();
    try {
      const waiting = spawnRiver(['run', 'tests/fixtures/hello.ts'], nats.url);
      background = waiting;
      await expect
        .poll(waiting.errors, { timeout: 10_000, interval: 200 })
        .toMatch(
          /No controller has taken the run of tests\/fixtures\/hello\.ts after 5 s/,
        );
      expect(waiting.errors()).toMatch(/\(run run-[a-z0-9-]+ stays queued\)/);
      expect(waiting.output()).toBe('');
      waiting.interrupt();
      expect(await waiting.exited).toBe(130);
      const connection = await connectRiver({
        servers: nats.url,
        name: 'test',
      });
      try {
        const queued = await connection.jsm.streams.info(Streams.submissions);
        expect(queued.state.messages).toBe(1);
      } finally {
        await connection.nc.close();
      }
    } finally {
      await nats.dispose();
    }
  });

  it('says so too on a server where River never made its streams', async () => {
    const bare = await startEmbeddedNats({ rights: false });
    try {
      const waiting = spawnRiver(['run', 'tests/fixtures/hello.ts'], bare.url);
      background = waiting;
      await expect
        .poll(waiting.errors, { timeout: 10_000, interval: 200 })
        .toMatch(
          /No controller has taken the run of .* Ctrl-C stops waiting\.\n/,
        );
      waiting.interrupt();
      expect(await waiting.exited).toBe(130);
    } finally {
      await bare.dispose();
    }
  });
});

describe('a task that prints more than its sandbox allows', () => {
  it('is stopped, and exactly the allowed bytes are stored', async () => {
    const result = await river(
      ['run', 'tests/fixtures/flood.ts'],
      stack.natsUrl,
    );
    const runId = runIdOf(result.stdout);
    const logs = await river(['logs', runId, 'flood-1'], stack.natsUrl);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /flood-1 stopped: The task printed more than 10000000 bytes/,
    );
    expect(Buffer.byteLength(logs.stdout)).toBe(TEST_MAX_OUTPUT_BYTES);
  });
});

describe('job logic that logs a huge line', () => {
  it('has the line cut to fit an event instead of failing its run', async () => {
    const result = await river(
      ['run', 'tests/fixtures/big-log-line.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/x… \(1983616 more characters cut\)/);
  });
});

describe('river run with a broken project', () => {
  it('names a project file that does not exist', async () => {
    const result = await river(
      ['run', 'tests/fixtures/nope.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Project file tests\/fixtures\/nope.ts does not exist/,
    );
  });

  it('shows file and line of a TypeScript syntax error', async () => {
    const result = await river(
      ['run', 'tests/fixtures/syntax-error.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tests\/fixtures\/syntax-error.ts:5:\d+: /);
  });

  it('names every job of a cycle and a dependency on a missing job', async () => {
    const result = await river(
      ['run', 'tests/fixtures/cycle.ts'],
      stack.natsUrl,
    );

    // Refused at submit: nothing reaches the controller.
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(/submitted/);
    expect(result.stderr).toMatch(/jobs form a cycle: a → c → b → a/);
    expect(result.stderr).toMatch(
      /job 'd' needs 'nowhere', which is not a job/,
    );
    // Each job involved is pointed out in the project file.
    expect(result.stderr).toMatch(/'a' at tests\/fixtures\/cycle.ts:3/);
    expect(result.stderr).toMatch(/'d' at tests\/fixtures\/cycle.ts:6/);
    expect(servicesAlive(stack)).toBe(true);
  });

  it('fails the job of a task that does not fit the protocol, naming the field', async () => {
    const result = await river(
      ['run', 'tests/fixtures/invalid-task.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /Task bad-1 is invalid: env\/LEVEL must be string/,
    );
    expect(servicesAlive(stack)).toBe(true);
  });

  it('stops job logic stuck in an endless loop and fails its run', async () => {
    const result = await river(
      ['run', 'tests/fixtures/endless-loop.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/job logic did not yield for 5000 ms/);
    expect(servicesAlive(stack)).toBe(true);
  });

  it('fails a run whose job logic exceeds its memory limit', async () => {
    const result = await river(
      ['run', 'tests/fixtures/memory-hog.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/exceeded its memory limit of 256 MB/);
    expect(servicesAlive(stack)).toBe(true);
  });

  it('refuses job logic that imports a Node module', async () => {
    const result = await river(
      ['run', 'tests/fixtures/imports-fs.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /imported 'node:fs'.*Do that work in a task/s,
    );
  });
});
