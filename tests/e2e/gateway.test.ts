import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encode, SCHEMA_VERSION, Subjects } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river } from '../helpers/river.js';
import { api, startUiStack, type UiStack } from '../helpers/ui-stack.js';

// biome-ignore lint/suspicious/noExplicitAny: the expectations check the bodies.
type Json = any;

/** A response's JSON body. */
async function read(response: Promise<Response> | Response): Promise<Json> {
  return (await response).json();
}

let ui: UiStack;
let nc: NatsConnection;
let failedRun: string;

/** Reads a live stream's messages as they come, until `stop()`. */
function openStream(path: string, lastEventId?: string) {
  const abort = new AbortController();
  const messages: { id: string; data: { type: string; runId: string } }[] = [];
  const comments: string[] = [];
  const done = (async () => {
    const response = await api(ui, 'viewer', path, {
      signal: abort.signal,
      headers:
        lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      buffered += decoder.decode(value, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (block.startsWith(':')) comments.push(block);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id !== undefined && data !== undefined) {
          messages.push({ id, data: JSON.parse(data) });
        }
        end = buffered.indexOf('\n\n');
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) throw error;
  });
  return { messages, comments, stop: () => abort.abort(), done };
}

async function publishLog(runId: string, count: number): Promise<number[]> {
  const js = jetstream(nc);
  const seqs: number[] = [];
  for (let index = 0; index < count; index++) {
    const ack = await js.publish(
      Subjects.event(runId, 'job.log'),
      encode('event', {
        schema: SCHEMA_VERSION,
        type: 'job.log',
        runId,
        at: Date.now(),
        job: 'fails',
        message: `line ${index}`,
      }),
    );
    seqs.push(ack.seq);
  }
  return seqs;
}

beforeAll(async () => {
  ui = await startUiStack({ RIVER_GATEWAY_HEARTBEAT_MS: '300' });
  nc = await connect({ servers: ui.stack.natsUrl });
  const result = await river(
    ['run', 'tests/fixtures/failing-task.ts'],
    ui.stack.natsUrl,
  );
  failedRun = /run-[a-z0-9]+-[a-z0-9]+/.exec(result.stdout)?.[0] as string;
  expect(failedRun, result.stdout + result.stderr).toBeDefined();
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await ui?.stop();
});

describe('the gateway', () => {
  it('refuses the API without a valid token, and says why', async () => {
    const none = await fetch(new URL('api/runs', ui.url));
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: 'Sign in with an access token.',
    });
    const wrong = await fetch(new URL('api/runs', ui.url), {
      headers: { Authorization: `Bearer ${'x'.repeat(30)}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('signs a browser in with a cookie that the API then takes', async () => {
    const signIn = await fetch(new URL('api/session', ui.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: ui.viewerToken }),
    });
    expect(await signIn.json()).toEqual({ role: 'viewer' });
    const cookie = signIn.headers.get('set-cookie') as string;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = await fetch(new URL('api/session', ui.url), {
      headers: { Cookie: cookie.split(';')[0] as string },
    });
    expect(await session.json()).toEqual({ role: 'viewer' });
  });

  it('lists runs with their status, filtered', async () => {
    const all = await read(api(ui, 'viewer', 'api/runs'));
    expect(all.runs).toContainEqual(
      expect.objectContaining({
        runId: failedRun,
        project: 'failing',
        status: 'failed',
        jobCount: 2,
      }),
    );
    const succeeded = await read(
      api(ui, 'viewer', 'api/runs?status=succeeded'),
    );
    expect(
      succeeded.runs.map((run: { runId: string }) => run.runId),
    ).not.toContain(failedRun);
    const bad = await api(ui, 'viewer', 'api/runs?status=broken');
    expect(bad.status).toBe(400);
    expect((await read(bad)).error).toMatch(/status must be one of/);
  });

  it("tells a run's jobs, tasks and attempts as its events do", async () => {
    const body = await read(api(ui, 'viewer', `api/runs/${failedRun}`));
    expect(body.run.summary.status).toBe('failed');
    expect(
      body.run.jobs.map((job: { name: string; status: string }) => [
        job.name,
        job.status,
      ]),
    ).toEqual([
      ['fails', 'failed'],
      ['after', 'skipped'],
    ]);
    const [task] = Object.values(body.run.tasks) as {
      status: string;
      attempts: { result: string; exitCode: number }[];
    }[];
    expect(task?.status).toBe('failed');
    expect(task?.attempts.at(-1)).toMatchObject({
      result: 'exited',
      exitCode: 3,
    });
    const missing = await api(ui, 'viewer', 'api/runs/run-none');
    expect(missing.status).toBe(404);
  });

  it("reads a task's log by lines, searches it and downloads it", async () => {
    const body = await read(api(ui, 'viewer', `api/runs/${failedRun}`));
    const [taskId] = Object.keys(body.run.tasks);
    const log = `api/runs/${failedRun}/tasks/${taskId}/log`;
    expect(await read(api(ui, 'viewer', `${log}?from=1&count=10`))).toEqual({
      firstLine: 1,
      lines: ['preparing', 'something broke'],
      totalLines: 2,
      complete: true,
      attempt: 1,
    });
    expect((await read(api(ui, 'viewer', `${log}?tail=1`))).lines).toEqual([
      'something broke',
    ]);
    expect(await read(api(ui, 'viewer', `${log}/search?q=BROKE`))).toEqual({
      hits: 1,
      matchingLines: 1,
      lines: [2],
      complete: true,
      attempt: 1,
    });
    const raw = await api(ui, 'viewer', `${log}/raw`);
    expect(raw.headers.get('content-disposition')).toMatch(/attachment/);
    expect(await raw.text()).toBe('preparing\nsomething broke\n');
    const bad = await api(ui, 'viewer', `${log}?from=0`);
    expect(bad.status).toBe(400);
    expect((await read(bad)).error).toMatch(/from must be a whole number/);
    const noTask = await api(
      ui,
      'viewer',
      `api/runs/${failedRun}/tasks/none/log/raw`,
    );
    expect(noTask.status).toBe(404);
  });

  it('lets a viewer read but not cancel or retry', async () => {
    const cancel = await api(ui, 'viewer', `api/runs/${failedRun}/cancel`, {
      method: 'POST',
      body: '{}',
    });
    expect(cancel.status).toBe(403);
    const retry = await api(ui, 'viewer', `api/runs/${failedRun}/retry`, {
      method: 'POST',
      body: '{}',
    });
    expect(retry.status).toBe(403);
  });

  it('retries a failed run for an operator; the new run says so', async () => {
    const response = await api(ui, 'operator', `api/runs/${failedRun}/retry`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(202);
    const { runId } = await read(response);
    await expect
      .poll(
        async () =>
          (await read(api(ui, 'viewer', `api/runs/${runId}`))).run?.summary
            .retryOf,
        { timeout: 30_000 },
      )
      .toBe(failedRun);
  });

  it('streams events with their sequence as id, and resumes after a cut with no gap or repeat', async () => {
    const { seq } = await read(api(ui, 'viewer', `api/runs/${failedRun}`));
    // Run events of every run come too (the retry above makes some).
    const ownLogs = (stream: ReturnType<typeof openStream>) =>
      stream.messages.filter(
        (message) =>
          message.data.runId === failedRun && message.data.type === 'job.log',
      );
    const first = openStream(`api/stream?run=${failedRun}&after=${seq}`);
    const before = await publishLog(failedRun, 5);
    await expect.poll(() => ownLogs(first).length).toBe(5);
    expect(ownLogs(first).map((message) => Number(message.id))).toEqual(before);
    expect(
      first.messages.every(
        (message) =>
          message.data.type.startsWith('run.') ||
          message.data.runId === failedRun,
      ),
    ).toBe(true);
    first.stop();
    await first.done;

    const lastId = first.messages.at(-1)?.id as string;
    const missed = await publishLog(failedRun, 100);
    const resumed = openStream(`api/stream?run=${failedRun}&after=0`, lastId);
    await expect.poll(() => ownLogs(resumed).length).toBe(100);
    expect(ownLogs(resumed).map((message) => Number(message.id))).toEqual(
      missed,
    );
    expect(
      ownLogs(resumed).map(
        (message) => (message.data as { message?: string }).message,
      ),
    ).toEqual(missed.map((_, index) => `line ${index}`));
    // Quiet now: keep-alive comments come instead.
    await expect.poll(() => resumed.comments.length).toBeGreaterThan(0);
    resumed.stop();
    await resumed.done;
  });

  it('tells a browser resuming beyond the stored events to start over', async () => {
    const response = await api(ui, 'viewer', 'api/stream', {
      headers: { 'Last-Event-ID': '999999999' },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: reset')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toMatch(/event: reset\ndata: \{"lastSeq":\d+\}/);
    // Every stream first says whether the gateway reaches NATS.
    expect(text).toContain('event: nats\ndata: {"reachable":true}\n\n');
  });

  it('refuses a sign-in without a token string, saying how to send it', async () => {
    const response = await fetch(new URL('api/session', ui.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: 123 }),
    });
    expect(response.status).toBe(400);
    expect((await read(response)).error).toMatch(/\{"token": "…"\}/);
  });

  it('serves the UI for any page path, and nothing outside it', async () => {
    const page = await fetch(new URL(`runs/${failedRun}`, ui.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="app">/);
    const outside = await fetch(
      new URL('assets/..%2f..%2fpackage.json', ui.url),
    );
    expect(outside.status).toBe(404);
  });
});
