import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/** A loopback TCP proxy whose connections a test can cut. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /**
   * Destroys every open connection, and while `refusing`, every new one
   * at once: the peers see a network failure.
   */
  cut(options: { refusing: boolean }): void;
  /** Lets new connections through again. */
  allow(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port to `targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    cut(options) {
      refusing = options.refusing;
      for (const socket of open) {
        socket.destroy();
      }
    },
    allow() {
      refusing = false;
    },
    close() {
      for (const socket of open) {
        socket.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
