import { Compile, type TSchema, type Type } from '../typebox.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const validators = new Map<TSchema, ReturnType<typeof Compile>>();

/**
 * A key-value bucket's value as JSON, so that `nats kv get` shows it as
 * it is.
 */
export function encodeJsonValue(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * A stored JSON value checked against `schema`, or `undefined` when it is
 * not JSON or does not match: a reader skips what it cannot trust.
 */
export function parseJsonValue<S extends TSchema>(
  bytes: Uint8Array,
  schema: S,
): Type.Static<S> | undefined {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return validator.Check(value) ? (value as Type.Static<S>) : undefined;
  } catch {
    return undefined;
  }
}
