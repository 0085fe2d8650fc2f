import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Buckets,
  type CacheEntry,
  cacheEntryKey,
  encode,
  type RunEvent,
  type RunEventOf,
  type RunSubmission,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { newRunId, type RiverClient } from '@river/sdk/client';
import { REPO_ROOT } from './river.js';

/**
 * Submits run `retried` again as a retry of it, from its `run.submitted`
 * event: the same bundle, file and sources, with `params` (its own by
 * default), as a trusted run. `RiverClient.retry` keeps the parameters
 * and the retried run's scope; a submission as this one need not.
 * Returns the new run's id.
 */
export async function submitRetry(
  nats: RiverConnection,
  retried: readonly RunEvent[],
  options: { params?: Record<string, string> } = {},
): Promise<string> {
  const submitted = retried.find(
    (event): event is RunEventOf<'run.submitted'> =>
      event.type === 'run.submitted',
  );
  if (submitted === undefined) {
    throw new Error('The retried run has no run.submitted event');
  }
  const runId = newRunId();
  await publishSubmission(nats, {
    schema: SCHEMA_VERSION,
    runId,
    bundleDigest: submitted.bundleDigest,
    file: submitted.file,
    submittedAt: Date.now(),
    sources: submitted.sources ?? [],
    params: options.params ?? submitted.params ?? {},
    retryOf: submitted.runId,
  });
  return runId;
}

async function publishSubmission(
  nats: RiverConnection,
  submission: RunSubmission,
): Promise<void> {
  await nats.js.publish(Subjects.submit, encode('submission', submission), {
    msgID: submission.runId,
  });
}

/** Every event of a run, once it has ended. */
export async function runEvents(
  client: RiverClient,
  runId: string,
): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of client.watch(runId)) {
    events.push(event);
  }
  return events;
}

/** The events of one type, in order. */
export function eventsOf<T extends RunEvent['type']>(
  events: readonly RunEvent[],
  type: T,
): RunEventOf<T>[] {
  return events.filter((event): event is RunEventOf<T> => event.type === type);
}

/** What a task of a run went through. */
export interface TaskStory {
  taskId: string;
  /** Its name, from its `task.requested` or `task.finished` event. */
  name: string;
  /** Its `task.cache` results in order, for example `['wait', 'hit']`. */
  cache: RunEventOf<'task.cache'>[];
  /** How many attempts a sandbox started. */
  started: number;
  dispatched: number;
  finished: RunEventOf<'task.finished'> | undefined;
}

/**
 * What each task of a run went through, by task id. The scheduler's
 * events of a task may come before the controller's `task.requested`.
 */
export function taskStories(
  events: readonly RunEvent[],
): Map<string, TaskStory> {
  const byId = new Map<string, TaskStory>();
  const storyFor = (taskId: string): TaskStory => {
    let story = byId.get(taskId);
    if (story === undefined) {
      story = {
        taskId,
        name: taskId,
        cache: [],
        started: 0,
        dispatched: 0,
        finished: undefined,
      };
      byId.set(taskId, story);
    }
    return story;
  };
  for (const event of events) {
    switch (event.type) {
      case 'task.requested':
        storyFor(event.taskId).name = event.name;
        break;
      case 'task.cache':
        storyFor(event.taskId).cache.push(event);
        break;
      case 'task.dispatched':
        storyFor(event.taskId).dispatched++;
        break;
      case 'task.started':
        storyFor(event.taskId).started++;
        break;
      case 'task.finished':
        storyFor(event.taskId).name = event.name;
        storyFor(event.taskId).finished = event;
        break;
      default:
        break;
    }
  }
  return byId;
}

/** The story of the one task named `name`; throws unless there is one. */
export function storyOf(
  stories: ReadonlyMap<string, TaskStory>,
  name: string,
): TaskStory {
  const named = [...stories.values()].filter((story) => story.name === name);
  if (named.length !== 1) {
    const names = [...stories.values()].map((story) => story.name);
    throw new Error(`${named.length} tasks named ${name} among: ${names}`);
  }
  return named[0] as TaskStory;
}

/** The `task.cache` results of a task, in order. */
export function cacheResults(story: TaskStory): string[] {
  return story.cache.map((event) => event.result);
}

/** The trusted (or `scope`'s) cache entry recorded under `key`, if any. */
export async function cacheEntry(
  nats: RiverConnection,
  key: string,
  scope?: string,
): Promise<CacheEntry | undefined> {
  const bucket = await nats.kvm.open(Buckets.cache);
  const found = await bucket.get(cacheEntryKey(key, scope));
  if (found === null || found.operation !== 'PUT') {
    return undefined;
  }
  return JSON.parse(Buffer.from(found.value).toString()) as CacheEntry;
}

/**
 * A copy of a fixture folder under tests/fixtures in a new temporary
 * folder, for a test to change its sources; the caller removes it.
 */
export async function copyFixture(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `river-${name}-`));
  await cp(join(REPO_ROOT, 'tests', 'fixtures', name), dir, {
    recursive: true,
  });
  return dir;
}
