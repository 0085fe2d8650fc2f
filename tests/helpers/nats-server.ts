import { type EmbeddedNats, startEmbeddedNats } from '@river/cli';

/** A nats-server started for one test file, on a free loopback port. */
export type TestNatsServer = EmbeddedNats;

/**
 * Starts a JetStream-enabled nats-server on 127.0.0.1 with a temporary
 * store; `stop()`/`restart()` keep the store, `dispose()` removes it.
 */
export function startNatsServer(): Promise<TestNatsServer> {
  return startEmbeddedNats();
}
