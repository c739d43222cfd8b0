import { appConfig } from "@/lib/config.ts";
import { BadRequestError, errorResponse } from "@/lib/server/http.ts";

export const dynamic = "force-dynamic";

/**
 * The browser's JSON-RPC, relayed to the server's chain endpoint, so the app works with an RPC
 * that sends no CORS headers or is reachable only from the server. Only what a dapp needs passes:
 * reads, fee estimates and signed transactions; never eth_sendTransaction, eth_sign or node admin
 * methods (a local node would sign those with its own unlocked keys).
 */
const ALLOWED = new Set([
  "eth_blockNumber",
  "eth_call",
  "eth_chainId",
  "eth_estimateGas",
  "eth_feeHistory",
  "eth_gasPrice",
  "eth_getBalance",
  "eth_getBlockByHash",
  "eth_getBlockByNumber",
  "eth_getCode",
  "eth_getLogs",
  "eth_getTransactionByHash",
  "eth_getTransactionCount",
  "eth_getTransactionReceipt",
  "eth_maxPriorityFeePerGas",
  "eth_sendRawTransaction",
  "net_version",
]);
const MAX_BODY_BYTES = 512 * 1024;
const MAX_BATCH = 50;

type RpcRequest = { jsonrpc: "2.0"; id: unknown; method: string; params?: unknown };

export async function POST(req: Request): Promise<Response> {
  try {
    const text = await req.text();
    if (text.length > MAX_BODY_BYTES) throw new BadRequestError("The JSON-RPC request is too large.", `Send at most ${MAX_BODY_BYTES} bytes per request.`, 413);
    let body: RpcRequest | RpcRequest[];
    try {
      body = JSON.parse(text);
    } catch {
      throw new BadRequestError("The JSON-RPC request is not JSON.", "Send a JSON-RPC 2.0 request object or batch.");
    }
    const calls = Array.isArray(body) ? body : [body];
    if (calls.length > MAX_BATCH) throw new BadRequestError("The JSON-RPC batch is too large.", `Send at most ${MAX_BATCH} calls per batch.`, 413);
    const refused = calls.find((c) => !ALLOWED.has(c?.method));
    if (refused)
      return Response.json({ jsonrpc: "2.0", id: refused?.id ?? null, error: { code: -32601, message: `Method ${String(refused?.method)} is not relayed by the Accord web server; sign transactions in your wallet.` } });
    const upstream = await fetch(appConfig().rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: text, signal: AbortSignal.timeout(30_000) });
    return new Response(upstream.body, { status: upstream.status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
  } catch (err) {
    return errorResponse(err);
  }
}
