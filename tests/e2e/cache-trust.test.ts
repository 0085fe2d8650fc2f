import { createHash } from 'node:crypto';
import { embeddedRoleEnv, type LocalStack } from '@river/cli';
import { Buckets, cacheEntryKey, type RunEvent } from '@river/protocol';
import {
  connectRiver,
  generateSecretKeys,
  NatsAccessError,
  parseSecretPublicKey,
  type RiverConnection,
  sealSecret,
} from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheEntry,
  cacheResults,
  runEvents,
  storyOf,
  submitRetry,
  type TaskStory,
  taskStories,
} from '../helpers/cache.js';
import { startTestStack } from '../helpers/river.js';

const FIXTURE = 'tests/fixtures/cache-trust.ts';

const keys = generateSecretKeys();
const publicKey = parseSecretPublicKey(keys.publicKey);

let stack: LocalStack;
let nats: RiverConnection;
let client: RiverClient;
const roles = new Map<string, RiverConnection>();

beforeAll(async () => {
  stack = await startTestStack({
    env: { RIVER_SECRETS_PRIVATE_KEY: keys.privateKey },
  });
  nats = await connectRiver({ servers: stack.natsUrl, name: 'cache-trust' });
  client = await RiverClient.connect({ servers: stack.natsUrl });
  for (const role of ['sdk', 'sandbox-default'] as const) {
    const env = embeddedRoleEnv(stack.natsUrl, role) ?? {};
    roles.set(
      role,
      await connectRiver({
        servers: stack.natsUrl,
        name: `cache-trust-${role}`,
        credentials: {
          user: role,
          nkeySeedFile: env.RIVER_NATS_NKEY_SEED_FILE as string,
        },
      }),
    );
  }
});

afterAll(async () => {
  await Promise.allSettled([...roles.values()].map((role) => role.nc.close()));
  await client?.close();
  await nats?.nc.close();
  await stack?.stop();
});

/** Runs the fixture to its end, trusted or in an untrusted scope. */
async function runPart(
  params: Record<string, string>,
  untrustedScope?: string,
): Promise<{ runId: string; events: RunEvent[] }> {
  const { runId } = await client.submit(FIXTURE, {
    params,
    ...(untrustedScope === undefined ? {} : { untrustedScope }),
  });
  return { runId, events: await runEvents(client, runId) };
}

/** Like {@link runPart}, for a run that must succeed. */
async function runSucceeding(
  params: Record<string, string>,
  untrustedScope?: string,
): Promise<{ runId: string; events: RunEvent[] }> {
  const run = await runPart(params, untrustedScope);
  expect(run.events.at(-1), JSON.stringify(run.events.at(-1))).toMatchObject({
    type: 'run.finished',
    status: 'succeeded',
  });
  return run;
}

/** The story of the run's task named `name`. */
function task(run: { events: RunEvent[] }, name: string): TaskStory {
  return storyOf(taskStories(run.events), name);
}

function expectRan(story: TaskStory): void {
  expect(story.started).toBe(1);
  expect(story.finished?.outcome.ok).toBe(true);
  expect(story.finished?.cached).toBeUndefined();
}

function expectHitFrom(story: TaskStory, runId: string): void {
  expect(cacheResults(story)).toEqual(['hit']);
  expect(story.started).toBe(0);
  expect(story.finished?.cached?.runId).toBe(runId);
}

describe('an untrusted run', () => {
  const params = { nonce: 'scopes', part: 'build' };

  it('keeps its results to its scope, and reads trusted ones', async () => {
    const firstPr = await runSucceeding(params, 'pr-1');
    const otherPr = await runSucceeding(params, 'pr-2');
    const samePr = await runSucceeding(params, 'pr-1');
    const trusted = await runSucceeding(params);
    const thirdPr = await runSucceeding(params, 'pr-3');
    const trustedAgain = await runSucceeding(params);

    expectRan(task(firstPr, 'build'));
    // Another scope does not see the first one's result.
    expect(cacheResults(task(otherPr, 'build'))).toEqual(['miss']);
    expectRan(task(otherPr, 'build'));
    expectHitFrom(task(samePr, 'build'), firstPr.runId);
    // Nor does a trusted run, with the same key.
    expect(cacheResults(task(trusted, 'build'))).toEqual(['miss']);
    expectRan(task(trusted, 'build'));
    expectHitFrom(task(thirdPr, 'build'), trusted.runId);
    expectHitFrom(task(trustedAgain, 'build'), trusted.runId);

    const key = task(trusted, 'build').cache[0]?.key ?? '';
    expect(task(firstPr, 'build').cache[0]?.key).toBe(key);
    expect((await cacheEntry(nats, key))?.origin.runId).toBe(trusted.runId);
    expect((await cacheEntry(nats, key, 'pr-1'))?.origin.runId).toBe(
      firstPr.runId,
    );
    expect((await cacheEntry(nats, key, 'pr-2'))?.origin.runId).toBe(
      otherPr.runId,
    );
    // A hit records nothing: the third scope holds no entry of its own.
    expect(await cacheEntry(nats, key, 'pr-3')).toBeUndefined();
  });

  it("is not reused by a trusted retry, only by its own scope's", async () => {
    const params = { nonce: 'retried-scope', part: 'build' };
    const untrusted = await runSucceeding(params, 'pr-7');

    const trustedRetry = await runEvents(
      client,
      await submitRetry(nats, untrusted.events),
    );
    // The client keeps the retried run's scope; a submission need not.
    const scopedRetry = await runEvents(
      client,
      (await client.retry(untrusted.runId)).runId,
    );

    expectRan(task(untrusted, 'build'));
    expect(cacheResults(task({ events: trustedRetry }, 'build'))).toEqual([
      'miss',
    ]);
    expectRan(task({ events: trustedRetry }, 'build'));
    expectHitFrom(task({ events: scopedRetry }, 'build'), untrusted.runId);
  });
});

describe("River's NATS roles", () => {
  const bytes = new TextEncoder().encode('{}');
  const plantedKey = cacheEntryKey('0'.repeat(64));

  async function refusal(action: Promise<unknown>): Promise<unknown> {
    return action.then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('keep a sandbox out of the cache: no reading, no writing', async () => {
    const sandbox = roles.get('sandbox-default') as RiverConnection;
    const read = sandbox.kvm
      .open(Buckets.cache)
      .then((bucket) => bucket.get(plantedKey));
    const write = sandbox.js.publish(
      `$KV.${Buckets.cache}.${plantedKey}`,
      bytes,
    );
    const flight = sandbox.js.publish(
      `$KV.${Buckets.cacheFlights}.trusted.${'0'.repeat(64)}`,
      bytes,
    );

    // Each refusal is caught as it comes: one awaited after another
    // would leave the later ones rejected with no handler meanwhile.
    const refusals = await Promise.all([read, write, flight].map(refusal));
    for (const error of refusals) {
      expect(error).toBeInstanceOf(NatsAccessError);
    }
    expect(await cacheEntry(nats, '0'.repeat(64))).toBeUndefined();
  });

  it('let the sdk read the cache but not write it', async () => {
    const sdk = roles.get('sdk') as RiverConnection;
    const admin = await nats.kvm.open(Buckets.cache);
    await admin.put('entry.trusted.sdk-can-read', bytes);

    const bucket = await sdk.kvm.open(Buckets.cache);
    const read = await bucket.get('entry.trusted.sdk-can-read');
    const write = refusal(
      sdk.js.publish(`$KV.${Buckets.cache}.${plantedKey}`, bytes),
    );

    expect(read?.string()).toBe('{}');
    expect(await write).toBeInstanceOf(NatsAccessError);
    expect(await refusal(bucket.put(plantedKey, bytes))).toBeInstanceOf(
      NatsAccessError,
    );
    expect(await cacheEntry(nats, '0'.repeat(64))).toBeUndefined();
    await admin.delete('entry.trusted.sdk-can-read');
  });
});

describe('a secret granted to a cached task', () => {
  const values = ['tok-first-81f0c2d9e4', 'tok-second-3a77b5e0c1'];
  const params = { nonce: 'secret', part: 'secret' };

  async function setSecret(value: string): Promise<void> {
    const secrets = await nats.kvm.open(Buckets.secrets);
    await secrets.put(
      'CACHE_TOKEN',
      sealSecret('CACHE_TOKEN', value, publicKey),
    );
  }

  it('is keyed by its version: setting it again makes a miss', async () => {
    await setSecret(values[0] as string);
    const first = await runSucceeding(params);
    const second = await runSucceeding(params);
    await setSecret(values[1] as string);
    const rotated = await runSucceeding(params);

    expect(task(first, 'use token').finished?.outcome.stdout).toBe(
      'token given\n',
    );
    expectRan(task(first, 'use token'));
    expectHitFrom(task(second, 'use token'), first.runId);
    const miss = task(rotated, 'use token');
    expect(cacheResults(miss)).toEqual(['miss']);
    expect(miss.cache[0]?.changes).toEqual(['secret CACHE_TOKEN changed']);
    expectRan(miss);

    // Neither the value nor its digest is in what the cache keeps (the
    // entry, the task's last request) or in what the runs said.
    const bucket = await nats.kvm.open(Buckets.cache);
    const kept: string[] = [];
    for await (const key of await bucket.keys()) {
      kept.push(`${key} ${(await bucket.get(key))?.string() ?? ''}`);
    }
    const entry = kept.find((line) =>
      line.startsWith(`${cacheEntryKey(miss.cache[0]?.key ?? '')} `),
    );
    const last = kept.find(
      (line) =>
        line.startsWith('last.trusted.') && line.includes(rotated.runId),
    );
    expect(entry).toContain('secret CACHE_TOKEN');
    expect(last).toContain('secret CACHE_TOKEN');
    const text = [
      ...kept,
      ...[first, second, rotated].map((run) => JSON.stringify(run.events)),
    ].join('\n');
    for (const value of values) {
      const digest = createHash('sha256').update(value).digest('hex');
      expect(text).not.toContain(value);
      expect(text).not.toContain(digest);
    }
  });
});

describe('a retried run', () => {
  it('reuses the tasks that succeeded without the cache, and runs the rest', async () => {
    const failed = await runPart({
      nonce: 'retry',
      part: 'retry',
      fail: 'yes',
    });
    expect(failed.events.at(-1)).toMatchObject({ status: 'failed' });

    const retryId = await submitRetry(nats, failed.events, {
      params: { nonce: 'retry', part: 'retry', fail: 'no' },
    });
    const retry = { events: await runEvents(client, retryId) };
    const again = {
      events: await runEvents(client, (await client.retry(retryId)).runId),
    };

    expect(retry.events.at(-1)).toMatchObject({ status: 'succeeded' });
    expectRan(task(failed, 'steady'));
    expect(task(failed, 'steady').cache).toEqual([]);
    expectHitFrom(task(retry, 'steady'), failed.runId);
    expect(task(retry, 'steady').finished?.outcome.files).toEqual(
      task(failed, 'steady').finished?.outcome.files,
    );
    expect(task(retry, 'fragile').cache).toEqual([]);
    expectRan(task(retry, 'fragile'));
    // A retry of the retry reuses both, each from where it first ran.
    expectHitFrom(task(again, 'steady'), failed.runId);
    expectHitFrom(task(again, 'fragile'), retryId);
    const submitted = again.events.find(
      (event) => event.type === 'run.submitted',
    );
    expect(submitted).toMatchObject({ retryOf: retryId });
  });
});
