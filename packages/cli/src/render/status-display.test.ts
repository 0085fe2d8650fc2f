import { PassThrough } from 'node:stream';
import type { RunEvent } from '@river/protocol';
import type { SequencedEvent } from '@river/sdk/client';
import { describe, expect, it } from 'vitest';
import { statusDisplay } from './status-display.js';

/** Events with the fields every event has filled in. */
function sequenced(partial: Partial<RunEvent>[]): SequencedEvent[] {
  return partial.map(
    (event, index) =>
      ({
        schema: 1,
        runId: 'run-q',
        at: index + 1,
        seq: index + 1,
        ...event,
      }) as SequencedEvent,
  );
}

describe('the quiet display', () => {
  it('says why a job failed when no task of it did', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (data) => {
      text += data;
    });
    const display = statusDisplay('quiet', out as never);

    for (const event of sequenced([
      { type: 'run.submitted', file: 'p.ts', bundleDigest: 'd' },
      { type: 'job.started', job: 'tk' },
      {
        type: 'job.finished',
        job: 'tk',
        status: 'failed',
        durationMs: 3,
        error: 'Task tk-1 has cache.ttlMs Infinity',
      },
      { type: 'job.finished', job: 'ok', status: 'succeeded', durationMs: 1 },
    ] as Partial<RunEvent>[])) {
      display.event(event);
    }

    expect(text).toContain('✗ tk failed in 0.0s: Task tk-1 has cache.ttlMs');
    expect(text).not.toContain('ok succeeded');
  });
});
