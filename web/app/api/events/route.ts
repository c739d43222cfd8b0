import { errorResponse } from "@/lib/server/http.ts";
import { market } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

/** Keeps proxies from closing an idle stream between blocks. */
const HEARTBEAT_MS = 15_000;

/** Server-sent events: one `head` message per indexed block range, so pages refetch as blocks arrive. */
export async function GET(req: Request): Promise<Response> {
  let m;
  try {
    m = await market();
  } catch (err) {
    return errorResponse(err);
  }
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      send(`retry: 2000\nevent: head\ndata: ${m.index.head}\n\n`);
      const unsubscribe = m.index.subscribe((head) => send(`event: head\ndata: ${head}\n\n`));
      const beat = setInterval(() => send(": keep-alive\n\n"), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(beat);
      };
      req.signal.addEventListener("abort", () => {
        cleanup();
        try {
          controller.close();
        } catch {}
      });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" } });
}
