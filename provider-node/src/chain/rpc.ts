import { BaseError as ViemBaseError, HttpRequestError, RpcRequestError, SocketClosedError, TimeoutError, WebSocketRequestError } from "viem";

const TRANSIENT_MESSAGE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|socket hang up|other side closed|fetch failed|network error|terminated|timed? ?out/i;

/**
 * Whether an RPC failure is the transport's (the node is down, the connection dropped, a
 * request timed out) rather than the chain's answer. Transient failures are waited out and
 * retried; answers (reverts, bad nonces) are acted on.
 */
export function isTransientRpcError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 10; depth++) {
    if (e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof SocketClosedError || e instanceof WebSocketRequestError) return true;
    // A JSON-RPC error object came back: the node answered.
    if (e instanceof RpcRequestError) return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_MESSAGE.test(code)) return true;
    if (!(e instanceof ViemBaseError) && e instanceof Error && TRANSIENT_MESSAGE.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
