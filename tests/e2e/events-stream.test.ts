import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '@river/cli';
import { Streams, Subjects } from '@river/protocol';
import {
  connectRiver,
  followSubject,
  publishEvent,
  type RiverConnection,
} from '@river/protocol/internal';
import { RiverClient, type SequencedEvent } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  river,
  riverIntoHead,
  startTestStack,
} from '../helpers/river.js';

let stack: LocalStack;
let connection: RiverConnection;

beforeAll(async () => {
  stack = await startTestStack();
  connection = await connectRiver({
    servers: stack.natsUrl,
    name: 'events-stream-test',
  });
});

afterAll(async () => {
  await connection?.nc.close();
  await stack?.stop();
});

async function withClient<T>(use: (client: RiverClient) => Promise<T>) {
  const client = await RiverClient.connect({ servers: stack.natsUrl });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** The names of the consumers a stream has. */
async function consumersOf(stream: string): Promise<string[]> {
  const names: string[] = [];
  for await (const info of connection.jsm.consumers.list(stream)) {
    names.push(info.name);
  }
  return names;
}

/** Whether the run's `run.finished` is stored (read without a consumer). */
async function hasFinished(runId: string): Promise<boolean> {
  const finished = await connection.jsm.streams.getMessage(Streams.events, {
    last_by_subj: Subjects.event(runId, 'run.finished'),
  });
  return finished !== null;
}

/** Reads an iterator to its end. */
async function all(
  events: AsyncIterable<SequencedEvent>,
): Promise<SequencedEvent[]> {
  const read: SequencedEvent[] = [];
  for await (const event of events) {
    read.push(event);
  }
  return read;
}

/** Submits a project file and waits until its run has finished. */
async function runToEnd(file: string): Promise<SequencedEvent[]> {
  return withClient(async (client) => {
    const { runId } = await client.submit(file);
    return all(client.watch(runId));
  });
}

/** The environment of a command on a terminal: not CI, this stack. */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: stack.natsUrl,
    TERM: 'xterm',
  };
  delete env.CI;
  return env;
}

describe('watching a run with its sequences', () => {
  it('watched from its submission, gives the events a later watch reads', async () => {
    const { runId, watched } = await withClient(async (client) => {
      const { runId, events } = await client.submitAndWatch(
        'tests/fixtures/hello.ts',
      );
      return { runId, watched: await all(events) };
    });
    const history = await withClient((client) =>
      all(client.watch(runId, { follow: false })),
    );

    expect(watched[0]?.type).toBe('run.submitted');
    expect(watched.at(-1)?.type).toBe('run.finished');
    expect(watched).toEqual(history);
    // The watches and the controller's feed delete their consumers when
    // done, rather than leave them to the server for minutes.
    await expect
      .poll(async () => (await consumersOf(Streams.events)).length, {
        timeout: 5_000,
      })
      .toBe(0);
  });

  it('stops a watch from the submission that is ended before its first event is read', async () => {
    await withClient(async (client) => {
      const { runId, events } = await client.submitAndWatch(
        'tests/fixtures/hello.ts',
      );
      await events.return(undefined);

      // The watch's consumer goes at once, the run's own feed once the run
      // is done; how long the run takes depends on the machine's load.
      await expect
        .poll(() => hasFinished(runId), { timeout: 60_000, interval: 200 })
        .toBe(true);
      await expect
        .poll(async () => (await consumersOf(Streams.events)).length, {
          timeout: 10_000,
        })
        .toBe(0);
    });
  });

  it('resumes after a disconnect from the last sequence seen, without a gap or a repeat', async () => {
    const firstPart: SequencedEvent[] = [];
    const runId = await withClient(async (client) => {
      const { runId } = await client.submit('tests/fixtures/slow-output.ts');
      for await (const event of client.watch(runId)) {
        firstPart.push(event);
        if (event.type === 'task.started') {
          break;
        }
      }
      return runId;
    });
    // The client is gone while the task runs; a new one goes on.
    const lastSeq = firstPart.at(-1)?.seq ?? 0;
    const rest = await withClient((client) =>
      all(client.watch(runId, { afterSeq: lastSeq })),
    );
    const history = await withClient((client) =>
      all(client.watch(runId, { follow: false })),
    );

    expect(firstPart.length).toBeGreaterThan(2);
    expect(rest.length).toBeGreaterThan(2);
    expect([...firstPart, ...rest]).toEqual(history);
    const seqs = history.map((event) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(history.at(-1)?.type).toBe('run.finished');
  });

  it('waits for a task that finishes after its run, and gives up on one that never does', async () => {
    const runId = `run-late-${randomUUID().slice(0, 8)}`;
    const publish = (
      type: 'task.requested' | 'task.finished' | 'run.finished',
      taskId: string,
    ) => {
      const fields = {
        'task.requested': {
          job: 'j',
          taskId,
          name: taskId,
          command: 'true',
          pool: 'default',
        },
        'task.finished': {
          job: 'j',
          taskId,
          name: taskId,
          attempt: 1,
          outcome: {
            ok: false,
            reason: 'cancelled' as const,
            exitCode: null,
            signal: 'SIGKILL',
            durationMs: 5,
            stdout: '',
            stderr: '',
            stdoutTruncated: false,
            stderrTruncated: false,
            files: [],
          },
        },
        'run.finished': { status: 'cancelled' as const, durationMs: 9 },
      }[type];
      return publishEvent(
        connection.js,
        runId,
        type,
        fields as never,
        `${runId}.${taskId}.${type}`,
      );
    };
    await publish('task.requested', 'late-1');
    await publish('task.requested', 'never-1');
    await publish('run.finished', 'run');

    const watched = withClient(async (client) => {
      const started = Date.now();
      const events = await all(
        client.watch(runId, { lateEventsWaitMs: 3_000 }),
      );
      return { events, ms: Date.now() - started };
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await publish('task.finished', 'late-1');
    const { events, ms } = await watched;

    expect(events.map((event) => event.type)).toEqual([
      'task.requested',
      'task.requested',
      'run.finished',
      'task.finished',
    ]);
    // It waited for never-1 until 3 s after the last event, not forever.
    expect(ms).toBeGreaterThan(2_500);
    expect(ms).toBeLessThan(10_000);
  });
});

describe('following a subject', () => {
  it('ends when stopped while its consumer is still being made', async () => {
    const abort = new AbortController();
    const messages = followSubject(
      connection.js,
      Streams.events,
      Subjects.runEvents(`run-quiet-${randomUUID().slice(0, 8)}`),
      abort.signal,
    );
    // The first call starts making the consumer; the abort comes meanwhile.
    const first = messages.next();
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    const ended = await Promise.race([
      first,
      new Promise((resolve) =>
        setTimeout(() => resolve('still waiting'), 5_000),
      ),
    ]);

    expect(ended).toEqual({ done: true, value: undefined });
  });
});

describe('every run’s events', () => {
  let hello: SequencedEvent[];
  let failing: SequencedEvent[];
  let between: number;

  beforeAll(async () => {
    hello = await runToEnd('tests/fixtures/hello.ts');
    await new Promise((resolve) => setTimeout(resolve, 50));
    between = Date.now();
    failing = await runToEnd('tests/fixtures/failing-task.ts');
  }, 120_000);

  const runOf = (events: SequencedEvent[]) => events[0]?.runId ?? '';

  it('filters by project, giving each matching run’s whole history', async () => {
    const events = await withClient((client) =>
      all(client.events({ project: 'hello' })),
    );

    expect(events.every((event) => event.runId !== runOf(failing))).toBe(true);
    expect(events.filter((event) => event.runId === runOf(hello))).toEqual(
      hello,
    );
  });

  it('filters by final status and by time', async () => {
    const failed = await withClient((client) =>
      all(client.events({ status: 'failed' })),
    );
    const recent = await withClient((client) =>
      all(client.events({ since: between })),
    );

    expect(failed.filter((event) => event.runId === runOf(failing))).toEqual(
      failing,
    );
    expect(failed.some((event) => event.runId === runOf(hello))).toBe(false);
    expect(recent.some((event) => event.runId === runOf(hello))).toBe(false);
    expect(recent.filter((event) => event.runId === runOf(failing))).toEqual(
      failing,
    );
  });

  it('resumes all runs’ events after a sequence', async () => {
    const everything = await withClient((client) => all(client.events()));
    const cut = everything[Math.floor(everything.length / 2)]?.seq ?? 0;

    const head = everything.filter((event) => event.seq <= cut);
    const tail = await withClient((client) =>
      all(client.events({ afterSeq: cut })),
    );

    expect([...head, ...tail]).toEqual(everything);
  });

  it('follows a new run under a project filter from its submission on', async () => {
    await withClient(async (client) => {
      const followed = client.events({ follow: true, project: 'hello' });
      const { runId } = await client.submit('tests/fixtures/hello.ts');
      const read: SequencedEvent[] = [];
      for await (const event of followed) {
        if (event.runId === runId) {
          read.push(event);
          if (event.type === 'run.finished') {
            break;
          }
        }
      }

      expect(read[0]?.type).toBe('run.submitted');
      expect(read.map((event) => event.seq)).toEqual(
        (await all(client.watch(runId, { follow: false }))).map(
          (event) => event.seq,
        ),
      );
    });
  });

  it('prints JSON lines with their sequences from river events', async () => {
    const one = await river(['events', runOf(hello), '--json'], stack.natsUrl);
    const resumed = await river(
      ['events', '--all', '--status', 'failed', '--json', '--after-seq', '0'],
      stack.natsUrl,
    );
    const parse = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as SequencedEvent);

    expect(one.code).toBe(0);
    expect(parse(one.stdout)).toEqual(hello);
    expect(resumed.code).toBe(0);
    expect(
      parse(resumed.stdout).filter((event) => event.runId === runOf(failing)),
    ).toEqual(failing);
  });

  it('exits quietly when its reader closes the pipe', () => {
    const result = riverIntoHead(['events', '--all'], stack.natsUrl);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(2);
  });

  it('calls a run unknown when it has no events, also when following', async () => {
    for (const command of [
      ['events', 'run-unknown', '--follow'],
      ['watch', 'run-unknown'],
    ]) {
      const started = Date.now();
      const result = await river(command, stack.natsUrl);
      expect(result.code, command.join(' ')).toBe(1);
      expect(result.stderr).toMatch(/Run run-unknown has no events/);
      // No summary of a run that nothing is known of.
      expect(result.stdout, command.join(' ')).toBe('');
      expect(Date.now() - started).toBeLessThan(15_000);
    }
  }, 40_000);

  it('refuses options that could only wait forever or mislead', async () => {
    await withClient(async (client) => {
      for (const afterSeq of [-5, Number.NaN, 2.5, Number.POSITIVE_INFINITY]) {
        expect(() => client.events({ afterSeq }), String(afterSeq)).toThrow(
          /afterSeq must be a stream sequence/,
        );
      }
      expect(() => client.events({ since: new Date('x') })).toThrow(
        /since must be a valid Date/,
      );
      expect(() =>
        client.events({ status: 'bogus' as unknown as 'failed' }),
      ).toThrow(/status must be one of succeeded, failed, cancelled/);
      await expect(
        client.watch(runOf(hello), { afterSeq: -1 }).next(),
      ).rejects.toThrow(/afterSeq must be a stream sequence/);
    });
  });

  it('shows a finished run with river watch: lines and a summary off a terminal', async () => {
    const watched = await river(['watch', runOf(failing)], stack.natsUrl);

    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/fails-1 failed with exit code 3/);
    expect(watched.stdout).toMatch(/│ something broke/);
    expect(watched.stdout).toMatch(/slowest tasks:/);
  });

  it("resumed after a finished run's last event, exits with the run's status", async () => {
    const history = await withClient((client) =>
      all(client.watch(runOf(hello), { follow: false })),
    );
    const lastSeq = String(history.at(-1)?.seq);
    const resumed = await river(
      ['watch', runOf(hello), '--after-seq', lastSeq],
      stack.natsUrl,
    );
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
  });

  it('draws the live tree on a pseudo-terminal and ends with the summary', () => {
    const cli = `${REPO_ROOT}packages/cli/dist/main.js`;
    const output = execFileSync(
      'script',
      [
        '-qec',
        `stty rows 30 cols 100; ${process.execPath} ${cli} watch ${runOf(hello)}`,
        '/dev/null',
      ],
      {
        cwd: REPO_ROOT,
        env: terminalEnv(),
        encoding: 'utf8',
        timeout: 30_000,
      },
    );

    // log-update erases the previous frame before each new one.
    expect(output).toContain('\u001b[');
    expect(output).toMatch(/✓ greet succeeded/);
    expect(output).toMatch(/run run-\S+ succeeded in [\d.]+s · 2 jobs/);
    expect(output).not.toMatch(/^\d\d:\d\d:\d\d /m);
  });
});
