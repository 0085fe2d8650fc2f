import { Packr } from 'msgpackr';
import { MessageDecodeError, ProtocolErrorCode } from './errors.js';
import { SCHEMA_VERSION } from './schemas/common.js';
import {
  EventSchemas,
  type RunEvent,
  type RunEventType,
} from './schemas/event.js';
import {
  LogChunk,
  LogIndexEntry,
  LogQuery,
  LogQueryReply,
} from './schemas/log.js';
import { RunCancellation, RunSubmission } from './schemas/run.js';
import { TaskDispatch, TaskRequest, TaskResult } from './schemas/task.js';
import { Compile, type TSchema, type Validator } from './typebox.js';

/** Every message kind that crosses NATS, with its schema. */
export const MessageSchemas = {
  submission: RunSubmission,
  cancellation: RunCancellation,
  taskRequest: TaskRequest,
  taskDispatch: TaskDispatch,
  taskResult: TaskResult,
  logChunk: LogChunk,
  logQuery: LogQuery,
  logQueryReply: LogQueryReply,
  logIndexEntry: LogIndexEntry,
} as const;

/** The name of a message kind other than events. */
export type MessageKind = keyof typeof MessageSchemas | 'event';

/** The decoded type of each message kind. */
export interface MessageTypes {
  submission: RunSubmission;
  cancellation: RunCancellation;
  taskRequest: TaskRequest;
  taskDispatch: TaskDispatch;
  taskResult: TaskResult;
  logChunk: LogChunk;
  logQuery: LogQuery;
  logQueryReply: LogQueryReply;
  logIndexEntry: LogIndexEntry;
  event: RunEvent;
}

// Plain MessagePack: no record extension, so any language can read it.
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  mapsAsObjects: true,
  int64AsType: 'number',
});

const validators = new Map<TSchema, Validator>();

function validatorFor(schema: TSchema): Validator {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  return validator;
}

/** Encodes a message as plain MessagePack. Does not validate. */
export function encode<K extends MessageKind>(
  _kind: K,
  message: MessageTypes[K],
): Uint8Array {
  return packr.pack(message);
}

/**
 * Decodes and validates a message that arrived on `subject`.
 *
 * @throws MessageDecodeError when the bytes are not MessagePack, carry
 *   another schema version, or fail the kind's schema; the error names the
 *   subject and the first failing field.
 */
export function decode<K extends MessageKind>(
  kind: K,
  subject: string,
  bytes: Uint8Array,
): MessageTypes[K] {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (cause) {
    throw new MessageDecodeError({
      code: ProtocolErrorCode.undecodable,
      subject,
      kind,
      field: '',
      reason: 'is not valid MessagePack',
      cause,
    });
  }
  check(kind, subject, value);
  return value as MessageTypes[K];
}

/**
 * Validates an already decoded value as a message of `kind`.
 *
 * @throws MessageDecodeError as {@link decode} does.
 */
export function check(kind: MessageKind, subject: string, value: unknown) {
  const fail = (field: string, reason: string, code?: ProtocolErrorCode) => {
    throw new MessageDecodeError({
      code: code ?? ProtocolErrorCode.invalidMessage,
      subject,
      kind,
      field,
      reason,
    });
  };
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.getPrototypeOf(value) !== Object.prototype
  ) {
    fail('', 'is not a map');
  }
  const record = value as Record<string, unknown>;
  if (record.schema !== SCHEMA_VERSION) {
    fail(
      '/schema',
      `is ${JSON.stringify(record.schema)}, but this service speaks ` +
        `schema version ${SCHEMA_VERSION}`,
      ProtocolErrorCode.unsupportedVersion,
    );
  }

  const schema = schemaFor(kind, record, fail);
  const validator = validatorFor(schema);
  if (validator.Check(value)) {
    return;
  }
  const [first] = validator.Errors(value);
  const missing = (first?.params as { requiredProperties?: string[] })
    ?.requiredProperties?.[0];
  if (first?.keyword === 'required' && missing !== undefined) {
    fail(`${first.instancePath}/${missing}`, 'is missing');
  }
  fail(first?.instancePath ?? '', first?.message ?? 'is invalid');
}

function schemaFor(
  kind: MessageKind,
  record: Record<string, unknown>,
  fail: (field: string, reason: string) => never,
): TSchema {
  if (kind !== 'event') {
    return MessageSchemas[kind];
  }
  // Validating against the one event type gives a precise field error,
  // where the whole union would only say that no member matched.
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(EventSchemas, type)) {
    return fail('/type', `is ${JSON.stringify(type)}, not a known event type`);
  }
  return EventSchemas[type as RunEventType];
}
