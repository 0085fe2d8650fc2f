import { Type } from '../typebox.js';

/** The schema version every v1 message carries in its `schema` field. */
export const SCHEMA_VERSION = 1;

/** The `schema` field of every v1 message. */
export const SchemaVersion = Type.Literal(SCHEMA_VERSION);

/** Raw bytes, carried as MessagePack `bin`. */
export const Bytes = Type.Refine(
  Type.Unsafe<Uint8Array>({ description: 'bytes (MessagePack bin)' }),
  (value: unknown) => value instanceof Uint8Array,
  () => 'must be bytes',
);

/** A non-empty identifier usable as one subject token. */
export const Token = Type.String({ pattern: '^[A-Za-z0-9_-]+$' });

/** Milliseconds since the Unix epoch. */
export const Timestamp = Type.Integer({ minimum: 0 });

/** A file carried by the artifact object store, addressed by content. */
export const FileRef = Type.Object({
  /** Path relative to the task's workspace. */
  path: Type.String({ minLength: 1 }),
  /** Lower-case hex SHA-256 of the content. */
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  size: Type.Integer({ minimum: 0 }),
  /** Unix permission bits, for example 0o755. */
  mode: Type.Integer({ minimum: 0, maximum: 0o7777 }),
});

/** A file carried by the artifact object store. */
export type FileRef = Type.Static<typeof FileRef>;
