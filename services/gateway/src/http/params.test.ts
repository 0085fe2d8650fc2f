import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkedId, idParam, MAX_ID_LENGTH } from './params.js';
import { HttpError } from './respond.js';
import { tokenOf } from './session.js';

/** The status and message `action` throws with. */
function refusal(action: () => unknown): { status: number; message: string } {
  try {
    action();
  } catch (error) {
    if (error instanceof HttpError) {
      return { status: error.status, message: error.message };
    }
    throw error;
  }
  throw new Error('nothing was refused');
}

describe('ids in paths', () => {
  it('decodes and takes a run or task id', () => {
    expect(idParam('run-abc_1', 'run')).toBe('run-abc_1');
    expect(idParam('step%2D1', 'task')).toBe('step-1');
  });

  it('refuses malformed percent-encoding with a 400, not a failure', () => {
    expect(refusal(() => idParam('%E0%A4%A', 'run'))).toEqual({
      status: 400,
      message: '"%E0%A4%A" is not a run id: its percent-encoding is malformed.',
    });
  });

  it('refuses an id too long for a NATS subject, naming its length', () => {
    const long = 'x'.repeat(5_000);
    const { status, message } = refusal(() => idParam(long, 'task'));
    expect(status).toBe(400);
    expect(message).toContain(
      `holds 5000 characters; ids hold at most ${MAX_ID_LENGTH}`,
    );
    expect(message.length).toBeLessThan(200);
    expect(checkedId('x'.repeat(MAX_ID_LENGTH), 'run')).toHaveLength(
      MAX_ID_LENGTH,
    );
  });

  it('refuses what is not one subject token', () => {
    expect(refusal(() => checkedId('a.b', 'run')).status).toBe(400);
    expect(refusal(() => idParam('..%2Fetc', 'run')).message).toContain(
      '"../etc" is not a run id',
    );
  });
});

describe('the token of a request', () => {
  const request = (headers: Record<string, string>) =>
    ({ headers }) as unknown as IncomingMessage;

  it('reads a bearer header, else the session cookie', () => {
    expect(tokenOf(request({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(tokenOf(request({ cookie: 'a=1; river_token=x%2By' }))).toBe('x+y');
  });

  it('keeps a cookie of malformed percent-encoding as sent, to be refused', () => {
    expect(tokenOf(request({ cookie: 'river_token=%E0%A4%A' }))).toBe(
      '%E0%A4%A',
    );
  });
});
