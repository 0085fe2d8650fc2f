/**
 * Helpers shared by River's services: connecting, stream set-up, consumer
 * loops, logging, settings, errors, shutdown, health probes and the bins'
 * main program. Not part of the public API.
 *
 * @packageDocumentation
 */

export { openBucketIfExists } from './buckets.js';
export { CancelWatch, openCancels } from './cancellations.js';
export { CodedError } from './coded-error.js';
export {
  type ConsumeLoop,
  type ConsumeOptions,
  consumeMessages,
  delay,
  FOLLOW_OPTIONS,
  type HandlerVerdict,
} from './consume.js';
export { publishEvent } from './events.js';
export { encodeFitted, MAX_MESSAGE_BYTES } from './fit-message.js';
export { FLEET_VALUE_TTL_MS, openFleetBucket } from './fleet-buckets.js';
export {
  deleteConsumer,
  type FollowedMessage,
  type FollowStart,
  followSubject,
} from './follow.js';
export {
  FOLLOW_CHECK_MS,
  type FollowedBucket,
  followBucket,
} from './follow-bucket.js';
export {
  followConnectionState,
  HEALTH_SETTINGS,
  type HealthServer,
  type HealthSettings,
  healthSettingsFromEnv,
  type NatsConnectionState,
  natsConnectionState,
  startHealthServer,
  watchConnection,
  withHealthProbes,
} from './health.js';
export {
  BundleLoadError,
  type JobOutline,
  JobRealm,
  type JobStart,
  type ProjectOutline,
  type RealmMessage,
} from './job-realm.js';
export { encodeJsonValue, parseJsonValue } from './json-values.js';
export { createServiceLogger, type Logger, taskFields } from './logger.js';
export {
  type ConnectOptions,
  connectRiver,
  inboxPrefixOf,
  type RiverConnection,
} from './nats.js';
export {
  describeSubject,
  NATS_ACCESS_ERROR_CODE,
  NatsAccessError,
  type NatsOperation,
} from './nats-access.js';
export { isClosedConnection, isNatsTimeout } from './nats-errors.js';
export { holdsContent, readObjectChunks } from './objects.js';
export { notRunOutcome } from './outcomes.js';
export { PUBLISH_RETRY_LIMIT_MS, publishWithRetry } from './publish.js';
export {
  checkSecretName,
  generateSecretKeys,
  MAX_SECRET_VALUE_BYTES,
  openSecret,
  parseSecretPrivateKey,
  parseSecretPublicKey,
  SECRET_NAME_PATTERN,
  SECRET_PRIVATE_KEY_PREFIX,
  SECRET_PUBLIC_KEY_PREFIX,
  SecretCryptoError,
  SecretCryptoErrorCode,
  type SecretKeyPairText,
  type SecretPrivateKey,
  type SecretPublicKey,
  sealedForKey,
  sealSecret,
  secretPublicKeyText,
} from './secrets.js';
export {
  checkServer,
  featuresMissingIn,
  MIN_SERVER_VERSION,
  REQUIRED_MAX_PAYLOAD_BYTES,
  SERVER_FEATURES,
  type ServerFacts,
  type ServerFeature,
  type ServerNeeds,
  versionAtLeast,
} from './server-features.js';
export { runService, type ServiceDefinition } from './service.js';
export {
  LOG_LEVEL_SETTING,
  LogLevel,
  NATS_CREDENTIAL_SETTINGS,
  NATS_URL_SETTING,
  NatsCredentialFields,
  type NatsCredentialSettings,
  type NatsCredentials,
  natsCredentialsFromEnv,
  natsCredentialsOf,
  RETENTION_DAYS_SETTING,
  readSettings,
  SETTINGS_ERROR_CODE,
  type SettingSource,
  type SettingSources,
  SettingsError,
} from './settings.js';
export { type SetupOptions, setupRiver } from './setup.js';
export {
  runShutdown,
  SHUTDOWN_STEP_LIMIT_MS,
  type ShutdownStep,
} from './shutdown.js';
export {
  DEFAULT_RETENTION_DAYS,
  type DurableOptions,
  ensureDurable,
  ensureStreams,
  requireStreams,
  STREAM_MISSING_CODE,
  StreamMissingError,
  type StreamName,
  streamConfigs,
} from './streams.js';
export {
  endSpan,
  type Span,
  startSpan,
  startTracing,
  type TracingShutdown,
  traceHeaders,
  traceparentFrom,
  traceparentOf,
  tracingEnabled,
} from './tracing.js';
export {
  hasObjectWriteOnly,
  putObjectWriteOnly,
} from './write-only-objects.js';
