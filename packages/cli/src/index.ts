/**
 * The `river` command line, and the pieces it is built from that tests
 * and tools reuse: the embedded nats-server and the local stack.
 *
 * @packageDocumentation
 */

export type {
  EmbeddedNats,
  EmbeddedNatsOptions,
  EmbeddedRights,
  EmbeddedRightsOptions,
} from './embedded-nats.js';
export {
  embeddedRoleEnv,
  freePort,
  natsServerBinary,
  startEmbeddedNats,
} from './embedded-nats.js';
export { describeEvent } from './format.js';
export type { GatewayAccess } from './gateway-access.js';
export type { RoleName, RolePermissions } from './nats-rights/roles.js';
export {
  FIXED_ROLES,
  rolePermissions,
  sandboxRole,
  serviceRole,
} from './nats-rights/roles.js';
export type {
  AnonymousUser,
  RoleUser,
  ServerConfigOptions,
} from './nats-rights/server-config.js';
export {
  natsServerConfig,
  newRoleUsers,
  roleEnv,
  writeRoleFiles,
} from './nats-rights/server-config.js';
export type { ServiceName, ServiceProcess } from './services.js';
export {
  CORE_SERVICES,
  SERVICE_PACKAGES,
  serviceBin,
  startServiceProcess,
} from './services.js';
export type { LocalStack, LocalStackOptions } from './stack.js';
export { natsAnswers, startLocalStack } from './stack.js';
