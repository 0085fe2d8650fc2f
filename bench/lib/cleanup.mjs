/**
 * What the bench has started and must stop even when it is interrupted:
 * stacks and servers register how to stop themselves here, and an
 * interrupted bench (Ctrl-C, SIGTERM) stops them all before it exits.
 */

const stops = new Set();

/** Registers `stop`; returns a function that stops and unregisters it. */
export function stopOnInterrupt(stop) {
  stops.add(stop);
  return async () => {
    stops.delete(stop);
    await stop();
  };
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping what the bench started\n`);
    void Promise.allSettled([...stops].map((stop) => stop())).then(() =>
      process.exit(130),
    );
  });
}
