import type { Logger } from '@river/protocol/internal';
import { DockerEngine } from './docker-engine.js';
import { DockerRunner } from './docker-runner.js';

/** What setting up the docker runner needs. */
export interface DockerSetup {
  /** The engine's socket (`RIVER_DOCKER_HOST`); no runner without it. */
  host: string | undefined;
  log: Logger;
}

/**
 * Sets up the docker runner when the sandbox names an engine, and checks
 * that the engine answers. Returns why not when there is none or it does
 * not answer. There is deliberately no default engine: a sandbox uses
 * only the one its settings name.
 */
export async function setUpDocker(
  setup: DockerSetup,
): Promise<{ runner: DockerRunner } | { unavailable: string }> {
  if (setup.host === undefined) {
    return { unavailable: 'RIVER_DOCKER_HOST names no Docker engine' };
  }
  let engine: DockerEngine;
  try {
    engine = new DockerEngine(setup.host);
  } catch (error) {
    return { unavailable: messageOf(error) };
  }

  try {
    const version = await engine.call('GET', '/version');
    const { Version, ApiVersion } = version.body as {
      Version?: string;
      ApiVersion?: string;
    };
    setup.log.info(
      { dockerHost: setup.host, version: Version, apiVersion: ApiVersion },
      'Docker engine answers',
    );
  } catch (error) {
    return { unavailable: messageOf(error) };
  }
  return { runner: new DockerRunner({ host: setup.host, log: setup.log }) };
}

/** The error's sentence without its full stop, to be quoted in another. */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\.$/, '');
}
