import type { Socket } from 'node:net';
import type { LogStream } from '@river/protocol';
import type { OutputSink } from '../runner.js';

/** Size of the header before each frame of the engine's stream. */
const FRAME_HEADER_BYTES = 8;

/** Stream numbers in a frame header, as the engine sends them. */
const STREAMS: Record<number, LogStream> = { 1: 'stdout', 2: 'stderr' };

/**
 * Splits the engine's multiplexed attach stream (frames of an 8-byte
 * header naming stdout or stderr and a length, then the bytes) into the
 * sink, and stops reading the socket while the sink is full, so that a
 * task printing faster than logs are sent blocks on its own writes.
 * Resolves when the socket closes.
 */
export function readContainerOutput(
  socket: Socket,
  sink: OutputSink,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);

  const onData = (data: Buffer) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    let full = false;
    while (pending.length >= FRAME_HEADER_BYTES) {
      const size = pending.readUInt32BE(4);
      if (pending.length < FRAME_HEADER_BYTES + size) {
        break;
      }
      const stream = STREAMS[pending[0] ?? 0];
      const payload = pending.subarray(
        FRAME_HEADER_BYTES,
        FRAME_HEADER_BYTES + size,
      );
      pending = pending.subarray(FRAME_HEADER_BYTES + size);
      // Frames of stdin or of the engine's own errors are not the task's.
      if (stream !== undefined && payload.length > 0) {
        full = !sink.write(stream, payload) || full;
      }
    }
    if (full) {
      socket.pause();
      void sink.drained().then(() => socket.resume());
    }
  };

  socket.on('data', onData);
  // A broken connection ends the output like a closed one; 'close' follows.
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
  });
}
