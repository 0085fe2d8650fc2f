/**
 * Helpers shared by River's services: connecting, stream set-up, consumer
 * loops and logging. Not part of the public API.
 *
 * @packageDocumentation
 */

export {
  type ConsumeLoop,
  type ConsumeOptions,
  consumeMessages,
  delay,
  type HandlerVerdict,
} from './consume.js';
export { publishEvent } from './events.js';
export {
  BundleLoadError,
  JobRealm,
  type JobStart,
  type ProjectOutline,
  type RealmMessage,
} from './job-realm.js';
export { createServiceLogger, type Logger, taskFields } from './logger.js';
export {
  type ConnectOptions,
  connectRiver,
  MIN_SERVER_VERSION,
  type RiverConnection,
  versionAtLeast,
} from './nats.js';
export {
  DEFAULT_RETENTION_DAYS,
  type DurableOptions,
  ensureDurable,
  ensureStreams,
  streamConfigs,
} from './streams.js';
