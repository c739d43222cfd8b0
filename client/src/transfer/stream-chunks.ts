import type { Stream } from "@libp2p/interface";
import { pushable } from "it-pushable";

/**
 * The stream's bytes as an async generator, pausing the stream (and so, through yamux flow
 * control, the sender) while more than `highWaterBytes` wait to be consumed. Event-based, as
 * net/protocol.ts's readAll is: the stream's own iterator misses a remote close that came
 * before it was attached.
 */
export async function* readChunks(stream: Stream, signal: AbortSignal, highWaterBytes = 8 * 1024 * 1024): AsyncGenerator<Uint8Array> {
  // Byte mode: its readableLength counts the bytes waiting.
  const queue = pushable();
  // A message is often a list of several buffers; taking them as they are avoids copying
  // every byte once more (subarray() on a list concatenates).
  const onMessage = (evt: { data: Uint8Array | Iterable<Uint8Array> }) => {
    if (evt.data instanceof Uint8Array) queue.push(evt.data);
    else for (const bytes of evt.data) queue.push(bytes);
    if (queue.readableLength > highWaterBytes && stream.readStatus === "readable") stream.pause();
  };
  const onEnd = () => queue.end();
  const onClose = (evt: Event) => queue.end((evt as Event & { error?: Error }).error);
  const onAbort = () => queue.end(signal.reason);
  stream.addEventListener("message", onMessage);
  stream.addEventListener("end", onEnd);
  stream.addEventListener("close", onClose);
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  else if (stream.readableEnded && stream.readBufferLength === 0) queue.end();
  try {
    for await (const chunk of queue) {
      if (stream.readStatus === "paused" && queue.readableLength < highWaterBytes / 2) stream.resume();
      yield chunk;
    }
  } finally {
    stream.removeEventListener("message", onMessage);
    stream.removeEventListener("end", onEnd);
    stream.removeEventListener("close", onClose);
    signal.removeEventListener("abort", onAbort);
  }
}
