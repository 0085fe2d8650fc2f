import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalStack, startServiceProcess } from '@river/cli';
import { Buckets, type RunEvent } from '@river/protocol';
import {
  connectRiver,
  publishEvent,
  type RiverConnection,
} from '@river/protocol/internal';
import { newRunId, RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheEntry,
  cacheResults,
  copyFixture,
  eventsOf,
  runEvents,
  storyOf,
  type TaskStory,
  taskStories,
} from '../helpers/cache.js';
import { startTestStack, TEST_SERVICE_ENV } from '../helpers/river.js';

let stack: LocalStack;
let nats: RiverConnection;
let client: RiverClient;
let project: string;

beforeAll(async () => {
  project = await copyFixture('cache');
  stack = await startTestStack();
  nats = await connectRiver({ servers: stack.natsUrl, name: 'cache-test' });
  client = await RiverClient.connect({ servers: stack.natsUrl });
});

afterAll(async () => {
  await client?.close();
  await nats?.nc.close();
  await stack?.stop();
  await rm(project, { recursive: true, force: true });
});

/** Runs the copied project to its end; returns its id and events. */
async function runProject(
  params: Record<string, string>,
): Promise<{ runId: string; events: RunEvent[] }> {
  const { runId } = await client.submit(join(project, 'build.ts'), { params });
  const events = await runEvents(client, runId);
  expect(events.at(-1), JSON.stringify(events.at(-1))).toMatchObject({
    type: 'run.finished',
    status: 'succeeded',
  });
  return { runId, events };
}

/** The job logs of a run, as the job logic wrote them. */
function jobLogs(events: readonly RunEvent[]): string[] {
  return eventsOf(events, 'job.log').map((event) => event.message);
}

function expectRan(story: TaskStory): void {
  expect(story.dispatched).toBe(1);
  expect(story.started).toBe(1);
  expect(story.finished?.cached).toBeUndefined();
}

function expectHitFrom(story: TaskStory, runId: string): void {
  expect(cacheResults(story)).toEqual(['hit']);
  expect(story.cache[0]?.from?.runId).toBe(runId);
  expect(story.dispatched).toBe(0);
  expect(story.started).toBe(0);
  expect(story.finished?.cached?.runId).toBe(runId);
  expect(story.finished?.outcome.ok).toBe(true);
}

describe('a second identical run', () => {
  const params = { nonce: 'identical' };
  let first: { runId: string; events: RunEvent[] };
  let second: { runId: string; events: RunEvent[] };

  beforeAll(async () => {
    first = await runProject(params);
    second = await runProject(params);
  });

  it('misses once, and then reuses every cached task without a sandbox', () => {
    const before = taskStories(first.events);
    const after = taskStories(second.events);

    for (const name of ['compile', 'measure', 'first twin']) {
      expect(cacheResults(storyOf(before, name)), name).toEqual(['miss']);
      expect(storyOf(before, name).cache[0]?.changes).toEqual([
        'no earlier request of this task',
      ]);
      expectRan(storyOf(before, name));
      expectHitFrom(storyOf(after, name), first.runId);
    }
    expect(jobLogs(first.events)).toEqual(
      expect.arrayContaining(['compile cached=false', 'measure cached=false']),
    );
    expect(jobLogs(second.events)).toEqual(
      expect.arrayContaining(['compile cached=true', 'measure cached=true']),
    );
  });

  it('gives back the recorded outputs, exit code and stdout', async () => {
    const compiled = storyOf(taskStories(first.events), 'compile').finished;
    const reused = storyOf(taskStories(second.events), 'compile').finished;

    expect(reused?.outcome.files).toEqual(compiled?.outcome.files);
    expect(reused?.outcome.files.map((file) => file.path)).toEqual([
      'out/all.txt',
    ]);
    expect(reused?.outcome.exitCode).toBe(0);
    expect(reused?.outcome.stdout).toBe('compiled at level one\n');
    expect(reused?.outcome.stdout).toBe(compiled?.outcome.stdout);
    const artifacts = await nats.objm.open(Buckets.artifacts);
    for (const file of reused?.outcome.files ?? []) {
      const bytes = await artifacts.getBlob(file.digest);
      expect(Buffer.from(bytes ?? []).toString()).toBe(
        'alpha\nbeta\nidentical\n',
      );
    }
    // The downstream task was given the reused file, and was a hit too.
    const measured = storyOf(taskStories(second.events), 'measure').finished;
    expect(measured?.outcome.stdout.trim()).toBe('21');
  });

  it('reuses a task of the same run that differs only by its name', () => {
    for (const { events, runId } of [first, second]) {
      const stories = taskStories(events);
      const origin = storyOf(stories, 'first twin').finished?.cached?.runId;
      expectHitFrom(storyOf(stories, 'second twin'), origin ?? runId);
    }
  });

  it('runs a task that turned the cache off, and one that failed, again', () => {
    for (const { events } of [first, second]) {
      const stories = taskStories(events);
      const uncached = storyOf(stories, 'uncached');
      expect(uncached.cache).toEqual([]);
      expectRan(uncached);
      expectRan(storyOf(stories, 'failing'));
    }
    const failing = storyOf(taskStories(second.events), 'failing');
    expect(cacheResults(failing)).toEqual(['miss']);
    expect(failing.cache[0]?.changes).toEqual([
      `nothing changed since run ${first.runId}, but no result was ` +
        'recorded for this key: that task failed, or was still running',
    ]);
  });

  it('follows the nearest cache setting: task, then job, then project', () => {
    const stories = taskStories(second.events);

    expect(storyOf(stories, 'job setting').cache).toEqual([]);
    expectRan(storyOf(stories, 'job setting'));
    expectHitFrom(storyOf(stories, 'task setting'), first.runId);
  });

  it('runs a task whose recorded result has outlived its time to live', () => {
    const brief = storyOf(taskStories(second.events), 'brief');

    expect(cacheResults(brief)).toEqual(['miss']);
    expect(brief.cache[0]?.changes).toEqual([
      'the result recorded for this key has expired',
    ]);
    expectRan(brief);
  });
});

describe('a run after a change', () => {
  const nonce = 'changes';
  let baseline: string;

  beforeAll(async () => {
    baseline = (await runProject({ nonce })).runId;
  });

  it('misses on the task whose env value changed, naming it', async () => {
    const { events } = await runProject({ nonce, level: 'two' });
    const stories = taskStories(events);

    const compile = storyOf(stories, 'compile');
    expect(cacheResults(compile)).toEqual(['miss']);
    expect(compile.cache[0]?.changes).toEqual(['env LEVEL changed']);
    expectRan(compile);
    // Its file came out the same, so the task that reads it is a hit.
    expectHitFrom(storyOf(stories, 'measure'), baseline);
  });

  it('misses on the tasks whose input file changed, naming the file', async () => {
    await writeFile(join(project, 'src', 'b.txt'), 'gamma\n');
    try {
      const { events } = await runProject({ nonce });
      const stories = taskStories(events);

      // Against the task's last request, which had another level.
      expect(storyOf(stories, 'compile').cache[0]?.changes).toEqual([
        'env LEVEL changed',
        'input src/b.txt changed',
      ]);
      expect(storyOf(stories, 'measure').cache[0]?.changes).toEqual([
        'input out/all.txt changed',
      ]);
      expectRan(storyOf(stories, 'compile'));
      expectRan(storyOf(stories, 'measure'));
    } finally {
      await writeFile(join(project, 'src', 'b.txt'), 'beta\n');
    }
  });

  it('misses on every task when the project code changed', async () => {
    const file = join(project, 'build.ts');
    const code = await readFile(file, 'utf8');
    await runProject({ nonce: 'code' });
    await writeFile(file, `${code}\nexport const revision = 2;\n`);
    try {
      const { events } = await runProject({ nonce: 'code' });
      const stories = taskStories(events);

      for (const name of ['compile', 'first twin', 'task setting']) {
        expect(storyOf(stories, name).cache[0]?.changes, name).toEqual([
          'job code changed',
        ]);
        expectRan(storyOf(stories, name));
      }
    } finally {
      await writeFile(file, code);
    }
  });

  it('hits when only the modification time of a source changed', async () => {
    const { runId } = await runProject({ nonce: 'touched' });
    const later = new Date(Date.now() + 3_600_000);
    await utimes(join(project, 'src', 'a.txt'), later, later);

    const { events } = await runProject({ nonce: 'touched' });
    const stories = taskStories(events);
    for (const name of ['compile', 'measure', 'first twin']) {
      expectHitFrom(storyOf(stories, name), runId);
    }
  });
});

describe('a recorded result whose file left the artifact store', () => {
  it('runs the task again instead of failing, and replaces the entry', async () => {
    const nonce = 'evicted';
    const { runId: firstRun, events } = await runProject({ nonce });
    const compile = storyOf(taskStories(events), 'compile');
    const key = compile.cache[0]?.key ?? '';
    expect((await cacheEntry(nats, key))?.origin.runId).toBe(firstRun);
    const [file] = compile.finished?.outcome.files ?? [];
    const artifacts = await nats.objm.open(Buckets.artifacts);
    await artifacts.delete(file?.digest ?? '');

    const second = await runProject({ nonce });
    const rerun = storyOf(taskStories(second.events), 'compile');
    expect(cacheResults(rerun)).toEqual(['miss']);
    expect(rerun.cache[0]?.changes).toEqual([
      'the result recorded for this key is unusable: file out/all.txt is ' +
        'no longer in the artifact store',
    ]);
    expectRan(rerun);
    expect(rerun.finished?.outcome.files).toEqual(
      compile.finished?.outcome.files,
    );
    const replaced = await cacheEntry(nats, key);
    expect(replaced?.origin.runId).toBe(second.runId);

    const third = await runProject({ nonce });
    expectHitFrom(storyOf(taskStories(third.events), 'compile'), second.runId);
  });

  it('runs the task again when its file was altered in the store', async () => {
    const params = { nonce: 'tampered' };
    const { events } = await runProject(params);
    const [file] =
      storyOf(taskStories(events), 'compile').finished?.outcome.files ?? [];
    const artifacts = await nats.objm.open(Buckets.artifacts);
    const stored = Buffer.from(
      (await artifacts.getBlob(file?.digest ?? '')) ?? [],
    );
    // As a sandbox could: other bytes, as many, under the same name.
    await artifacts.delete(file?.digest ?? '');
    await artifacts.putBlob(
      { name: file?.digest ?? '' },
      Buffer.from(stored.toString().replace('alpha', 'omega')),
    );

    const { runId } = await client.submit(join(project, 'build.ts'), {
      params,
    });
    const rerun = storyOf(
      taskStories(await runEvents(client, runId)),
      'compile',
    );

    expect(cacheResults(rerun)).toEqual(['miss']);
    expect(rerun.cache[0]?.changes).toEqual([
      'the result recorded for this key is unusable: file out/all.txt in ' +
        'the artifact store does not match its digest',
    ]);
    expectRan(rerun);
  });
});

describe('a watch of a run', () => {
  it('ends with the run when a hit was stored before its request', async () => {
    // The scheduler may answer from the cache before the controller has
    // recorded its task.requested event: the history holds them so.
    const runId = newRunId();
    const origin = { runId, taskId: 'a-1', attempt: 1, finishedAt: 1 };
    const outcome = {
      ok: true,
      reason: 'exited' as const,
      exitCode: 0,
      signal: null,
      durationMs: 1,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      files: [],
    };
    await publishEvent(
      nats.js,
      runId,
      'run.started',
      { project: 'p', jobs: [], controllerId: 'c' },
      `${runId}.s`,
    );
    await publishEvent(
      nats.js,
      runId,
      'task.finished',
      {
        job: 'a',
        taskId: 'a-2',
        name: 'x',
        attempt: 1,
        outcome,
        cached: origin,
      },
      `${runId}.f`,
    );
    await publishEvent(
      nats.js,
      runId,
      'task.requested',
      { job: 'a', taskId: 'a-2', name: 'x', command: 'x', pool: 'default' },
      `${runId}.r`,
    );
    await publishEvent(
      nats.js,
      runId,
      'run.finished',
      { status: 'succeeded', durationMs: 1 },
      `${runId}.e`,
    );

    const startedAt = Date.now();
    const events = await runEvents(client, runId);

    expect(events.map((event) => event.type)).toEqual([
      'run.started',
      'task.finished',
      'task.requested',
      'run.finished',
    ]);
    // Not LATE_EVENTS_WAIT_MS, as for a task still running.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});

describe("the operator's salt", () => {
  it('disowns every result recorded under another', async () => {
    const before = await runProject({ nonce: 'salted' });
    const index = stack.services.findIndex(
      (service) => service.name === 'controller',
    );
    await stack.services[index]?.stop();
    stack.services[index] = await startServiceProcess(
      'controller',
      {
        ...TEST_SERVICE_ENV,
        NATS_URL: stack.natsUrl,
        RIVER_CACHE_SALT: 'rotated',
      },
      stack.logDir,
    );

    const after = await runProject({ nonce: 'salted' });

    expectRan(storyOf(taskStories(before.events), 'compile'));
    const compile = storyOf(taskStories(after.events), 'compile');
    expect(compile.cache[0]?.changes).toEqual(['salt changed']);
    expectRan(compile);
  });
});
