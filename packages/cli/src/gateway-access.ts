import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/** The port `river dev` serves the UI on when it is free. */
export const DEFAULT_UI_PORT = 7070;

/** How to reach a gateway the CLI started, and its tokens. */
export interface GatewayAccess {
  /** The UI's address, such as `http://127.0.0.1:7070/`. */
  url: string;
  /** A token that may cancel and retry; undefined when the env set them. */
  operatorToken: string | undefined;
  /** A read-only token; undefined when the env set them. */
  viewerToken: string | undefined;
  /** The gateway's settings for its environment. */
  env: Record<string, string>;
}

/** Whether `port` is free on loopback, or a free port when 0 is asked. */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const found = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(found));
    });
  });
}

/**
 * The gateway's port and tokens for a local River: RIVER_GATEWAY_PORT or
 * `preferredPort` when free, else any free port; RIVER_GATEWAY_TOKENS or a
 * fresh operator and viewer token, made for this start only.
 */
export async function localGatewayAccess(
  env: NodeJS.ProcessEnv,
  preferredPort = DEFAULT_UI_PORT,
): Promise<GatewayAccess> {
  const asked = Number(env.RIVER_GATEWAY_PORT ?? '');
  const given =
    env.RIVER_GATEWAY_PORT !== undefined && env.RIVER_GATEWAY_PORT !== '';
  // A port given as 0 is picked here, so that the address is known.
  const port =
    given && Number.isInteger(asked) && asked !== 0
      ? asked
      : ((given ? undefined : await listenOnce(preferredPort)) ??
        (await listenOnce(0)) ??
        0);
  const tokens = env.RIVER_GATEWAY_TOKENS;
  const operatorToken =
    tokens === undefined ? randomBytes(24).toString('base64url') : undefined;
  const viewerToken =
    tokens === undefined ? randomBytes(24).toString('base64url') : undefined;
  return {
    url: `http://127.0.0.1:${port}/`,
    operatorToken,
    viewerToken,
    env: {
      RIVER_GATEWAY_HOST: env.RIVER_GATEWAY_HOST ?? '127.0.0.1',
      RIVER_GATEWAY_PORT: String(port),
      RIVER_GATEWAY_TOKENS:
        tokens ?? `operator:${operatorToken},viewer:${viewerToken}`,
    },
  };
}
