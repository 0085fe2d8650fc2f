/**
 * River's gateway: serves the web UI, a small HTTP API of snapshots (runs
 * list, a run's state, its graph, events and logs) and one Server-Sent
 * Events stream per browser tab, with access by viewer and operator
 * tokens. Browsers never talk to NATS.
 *
 * @example
 * ```ts
 * import { loadGatewayConfig, startGateway } from '@river/gateway';
 * const gateway = await startGateway(loadGatewayConfig());
 * process.once('SIGTERM', () => void gateway.close());
 * ```
 *
 * @packageDocumentation
 */

export { GatewayConfig, loadGatewayConfig } from './config.js';
export type { Gateway, GatewayOptions } from './gateway.js';
export { startGateway } from './gateway.js';
export { type Role, TokenTable } from './tokens.js';
