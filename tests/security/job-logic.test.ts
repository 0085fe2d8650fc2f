import type { LocalStack } from '@river/cli';
import {
  Buckets,
  encode,
  type RunEvent,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { bundleProject, newRunId, RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesAlive, startTestStack } from '../helpers/river.js';

/**
 * The CPU time a run may use here: more than the test stack's 5 s stall
 * limit, so that an endless loop is stopped as a stall, and the
 * cpu-burn fixture, which yields, by this limit.
 */
const CPU_LIMIT_MS = 8_000;

/** How long a hostile run may take to be stopped and reported. */
const HOSTILE_RUN_MS = 45_000;

const FIXTURES = 'tests/fixtures/hostile';

/**
 * Past its memory limit, job logic either sees an ArrayBuffer refused or
 * has its process ended; either way the error names the limit.
 */
const MEMORY_LIMIT = /memory limit (of|is) 256 MB.{1,3}RIVER_RUN_MEMORY_MB/;

let stack: LocalStack;
let client: RiverClient;
let raw: RiverConnection;

beforeAll(async () => {
  stack = await startTestStack({
    env: { RIVER_RUN_CPU_MS: String(CPU_LIMIT_MS) },
  });
  client = await RiverClient.connect({ servers: stack.natsUrl });
  raw = await connectRiver({ servers: stack.natsUrl, name: 'hostile-client' });
});

afterAll(async () => {
  await client?.close();
  await raw?.nc.close();
  await stack?.stop();
});

/** How a run ended: its status and every error its events carry. */
interface RunEnding {
  status: string;
  errors: string;
}

/** Follows a run's events; `started` resolves at its first `job.started`. */
function follow(runId: string): {
  started: Promise<void>;
  ended: Promise<RunEnding>;
} {
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const ended = (async () => {
    const errors: string[] = [];
    for await (const event of client.watch(runId)) {
      if (event.type === 'job.started') {
        markStarted();
      }
      const error = errorOf(event);
      if (error !== undefined) {
        errors.push(error);
      }
      if (event.type === 'run.finished') {
        markStarted();
        return { status: event.status, errors: errors.join('\n') };
      }
    }
    throw new Error(`The events of ${runId} ended without run.finished`);
  })();
  return { started, ended };
}

function errorOf(event: RunEvent): string | undefined {
  return 'error' in event && typeof event.error === 'string'
    ? event.error
    : undefined;
}

/**
 * Submits a project the way a hostile client could: straight to the
 * bundles store and the submissions stream, without the client's own
 * evaluation of its top level (which would refuse it, or run it here).
 */
async function submitUnchecked(file: string): Promise<string> {
  const bundle = await bundleProject(file);
  const bundles = await raw.objm.create(Buckets.bundles);
  await bundles.putBlob({ name: bundle.digest }, Buffer.from(bundle.code));
  const runId = newRunId();
  await raw.js.publish(
    Subjects.submit,
    encode('submission', {
      schema: SCHEMA_VERSION,
      runId,
      bundleDigest: bundle.digest,
      file,
      submittedAt: Date.now(),
      sources: [],
      params: {},
    }),
    { msgID: runId },
  );
  return runId;
}

/**
 * Runs a hostile project with an ordinary one beside it: the ordinary
 * run is submitted once the hostile one is under way and must succeed
 * before or while the hostile one is stopped.
 */
async function runBeside(
  fixture: string,
  unchecked: boolean,
): Promise<RunEnding> {
  const file = `${FIXTURES}/${fixture}`;
  const hostileId = unchecked
    ? await submitUnchecked(file)
    : (await client.submit(file)).runId;
  const hostile = follow(hostileId);
  // A hostile top level acts while its bundle loads, before any job.
  if (!unchecked) {
    await hostile.started;
  }

  const { runId } = await client.submit(`${FIXTURES}/bystander.ts`);
  const bystander = await follow(runId).ended;

  expect(bystander, 'the ordinary run beside it').toEqual({
    status: 'succeeded',
    errors: '',
  });
  return hostile.ended;
}

const CASES: {
  what: string;
  fixture: string;
  refused: RegExp;
  unchecked?: boolean;
}[] = [
  {
    what: 'reads process.env',
    fixture: 'env.ts',
    refused: /process is not defined/,
  },
  {
    what: "calls require('node:fs') inside a job",
    fixture: 'require-fs.ts',
    refused: /imported 'node:fs', which is not available on the controller/,
  },
  {
    what: "calls import('node:fs')",
    fixture: 'import-fs.ts',
    refused: /imported 'node:fs' with import\(\), which is not available/,
  },
  {
    what: 'calls fetch',
    fixture: 'fetch.ts',
    refused: /fetch is not defined/,
  },
  {
    what: 'climbs from its values to the host’s Function',
    fixture: 'constructor-escape.ts',
    refused:
      /every route was refused .*an import\(\) error: Code generation from strings disallowed/,
  },
  {
    what: 'waits on shared memory forever',
    fixture: 'shared-memory.ts',
    refused: /SharedArrayBuffer is not defined/,
  },
  {
    what: 'loops forever without yielding',
    fixture: 'sync-loop.ts',
    refused: /did not yield for 5000 ms .*RIVER_JOB_STALL_MS/,
  },
  {
    what: 'loops forever through microtasks',
    fixture: 'microtask-loop.ts',
    refused: /did not yield for 5000 ms .*RIVER_JOB_STALL_MS/,
  },
  {
    what: 'burns CPU between yields',
    fixture: 'cpu-burn.ts',
    refused: new RegExp(
      `used up its CPU time limit of ${CPU_LIMIT_MS} ms \\(RIVER_RUN_CPU_MS\\)`,
    ),
  },
  {
    what: 'grows its heap without end',
    fixture: 'heap.ts',
    refused: /exceeded its memory limit of 256 MB \(RIVER_RUN_MEMORY_MB\)/,
  },
  {
    what: 'fills 4 GiB of ArrayBuffers',
    fixture: 'array-buffers.ts',
    refused: MEMORY_LIMIT,
  },
  {
    what: 'asks for a 4 GB ArrayBuffer',
    fixture: 'big-array-buffer.ts',
    refused: /Array buffer allocation failed .*RIVER_RUN_MEMORY_MB/,
  },
  {
    what: 'makes an array larger than V8 allows',
    fixture: 'huge-string.ts',
    refused: /exceeded its memory limit of 256 MB|invalid size error/,
  },
  {
    what: 'never finishes its top level',
    fixture: 'top-level-loop.ts',
    refused: /Loading .*top-level-loop.ts failed: Script execution timed out/,
    unchecked: true,
  },
  {
    what: 'fills 4 GiB of ArrayBuffers at its top level',
    fixture: 'top-level-array-buffers.ts',
    refused: MEMORY_LIMIT,
    unchecked: true,
  },
];

describe('hostile job logic on the controller', () => {
  for (const { what, fixture, refused, unchecked } of CASES) {
    it(
      `fails only its own run when it ${what}, naming what stopped it`,
      async () => {
        const ending = await runBeside(fixture, unchecked === true);

        expect(ending.status).toBe('failed');
        expect(ending.errors).toMatch(refused);
        expect(ending.errors).not.toMatch(/escaped/);
        expect(servicesAlive(stack)).toBe(true);
      },
      HOSTILE_RUN_MS,
    );
  }

  it('still serves runs after every hostile one', async () => {
    const { runId } = await client.submit(`${FIXTURES}/bystander.ts`);

    expect(await follow(runId).ended).toEqual({
      status: 'succeeded',
      errors: '',
    });
    expect(servicesAlive(stack)).toBe(true);
  });
});
