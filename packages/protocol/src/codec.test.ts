import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decode, encode } from './codec.js';
import { MessageDecodeError } from './errors.js';
import type { TaskRequest } from './schemas/task.js';
import { Subjects } from './subjects.js';

const request: TaskRequest = {
  schema: 1,
  runId: 'run-1',
  taskId: 'build-1',
  job: 'build',
  name: 'make',
  requestedAt: 1_700_000_000_000,
  spec: {
    command: ['make', '-j2'],
    env: { CFLAGS: '-O2' },
    cwd: '',
    timeoutMs: 60_000,
    inputs: [],
    outputs: ['build/libx.a'],
    pool: 'default',
    maxAttempts: 2,
  },
};

function rejection(kind: 'taskRequest' | 'event', bytes: Uint8Array) {
  try {
    decode(kind, Subjects.taskRequest, bytes);
  } catch (error) {
    return error as MessageDecodeError;
  }
  throw new Error('decode accepted a bad message');
}

describe('the codec', () => {
  it('round-trips a task request unchanged', () => {
    const bytes = encode('taskRequest', request);

    expect(decode('taskRequest', Subjects.taskRequest, bytes)).toEqual(request);
  });

  it('keeps log chunk bytes that are not UTF-8', () => {
    const data = new Uint8Array([0xff, 0x00, 0xfe, 0x0a]);
    const chunk = {
      schema: 1 as const,
      runId: 'run-1',
      taskId: 'build-1',
      attempt: 1,
      seq: 0,
      stream: 'stdout' as const,
      data,
      last: false,
    };

    const decoded = decode('logChunk', 'x', encode('logChunk', chunk));

    expect([...decoded.data]).toEqual([...data]);
  });

  it('writes plain MessagePack that a reader without extensions decodes', () => {
    const plain = new Packr({ useRecords: false }).unpack(
      encode('taskRequest', request),
    );

    expect(plain).toEqual(request);
  });

  it('names the subject and the field of an invalid message', () => {
    const bad = { ...request, spec: { ...request.spec, timeoutMs: -5 } };

    const error = rejection('taskRequest', encode('taskRequest', bad));

    expect(error).toBeInstanceOf(MessageDecodeError);
    expect(error.subject).toBe(Subjects.taskRequest);
    expect(error.field).toBe('/spec/timeoutMs');
    expect(error.message).toMatch(
      /river\.v1\.task\.request.*\/spec\/timeoutMs/,
    );
  });

  it('names a missing field', () => {
    const { job: _job, ...bad } = request;

    const error = rejection('taskRequest', new Packr().pack(bad));

    expect(error.field).toBe('/job');
    expect(error.reason).toBe('is missing');
  });

  it('rejects another schema version with its own code', () => {
    const error = rejection(
      'taskRequest',
      encode('taskRequest', { ...request, schema: 2 as 1 }),
    );

    expect(error.code).toBe('UNSUPPORTED_VERSION');
    expect(error.message).toMatch(/schema version 1/);
  });

  it('rejects bytes that are not MessagePack', () => {
    const error = rejection('taskRequest', new Uint8Array([0xc1, 0x00]));

    expect(['UNDECODABLE', 'INVALID_MESSAGE']).toContain(error.code);
  });

  it('rejects a map that is not an object, such as a list', () => {
    const error = rejection('taskRequest', new Packr().pack([1, 2]));

    expect(error.reason).toBe('is not a map');
  });

  it('names the field of an event by its own type', () => {
    const event = {
      schema: 1,
      type: 'task.dispatched',
      runId: 'run-1',
      at: 1,
      taskId: 'a-1',
      attempt: 0,
      pool: 'default',
    };

    const error = rejection('event', new Packr().pack(event));

    expect(error.field).toBe('/attempt');
  });

  it('rejects an unknown event type', () => {
    const event = { schema: 1, type: 'task.exploded', runId: 'r', at: 1 };

    expect(rejection('event', new Packr().pack(event)).field).toBe('/type');
  });
});
