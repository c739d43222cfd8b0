import { numberToHex, type Address, type Hex, type PublicClient } from "viem";

/**
 * Calls and gas estimates made as of a chain time the last block has not reached yet.
 *
 * A call that may act only once a deadline passed (the award, the reveal that draws, a claim) was
 * simulated and estimated on the last block, whose timestamp is before the deadline until the next
 * block exists. The node then sent it only after seeing that block, and it landed a block later
 * again: with 2 s blocks, a job alone took 4 blocks from post to settlement where 3 would do. The
 * node knows the chain's time (ChainClock: the last block's timestamp plus the wall time since), and
 * the next block will be at least that late. So the simulation and the estimate run on the last
 * block's state with its timestamp moved to that time, through the block overrides that geth, anvil
 * and reth take as the fourth parameter of eth_call and eth_estimateGas.
 *
 * Hardhat (EDR) refuses the fourth parameter as invalid params. The first refusal switches this
 * client back to the plain call on the last block for good (the node then waits for the block, as
 * before), so a chain without overrides costs one refused request, not one per call.
 *
 * Why not the "pending" block: on anvil and geth with interval mining it builds a block from the
 * whole mempool for every request (see TxSender's estimate).
 */
export class ChainTimeCalls {
  private readonly client: PublicClient;
  /** Whether the RPC takes block overrides: unknown until the first call that needs them. */
  private overrides: boolean | undefined;

  constructor(client: PublicClient) {
    this.client = client;
  }

  /** eth_call on the last block, as of chain time `at` (unix seconds) when given and the RPC allows it. */
  call(tx: { from: Address; to: Address; data: Hex }, at?: number): Promise<Hex> {
    return this.request("eth_call", tx, at) as Promise<Hex>;
  }

  /** eth_estimateGas on the last block, as of chain time `at` when given and the RPC allows it. */
  async estimateGas(tx: { from: Address; to: Address; data: Hex }, at?: number): Promise<bigint> {
    return BigInt((await this.request("eth_estimateGas", tx, at)) as Hex);
  }

  /** True once the RPC answered a call with block overrides; false once it refused them. */
  get supportsOverrides(): boolean | undefined {
    return this.overrides;
  }

  private async request(method: "eth_call" | "eth_estimateGas", tx: { from: Address; to: Address; data: Hex }, at: number | undefined): Promise<unknown> {
    if (at !== undefined && this.overrides !== false) {
      try {
        const out = await this.client.request({ method, params: [tx, "latest", {}, { time: numberToHex(at) }] } as never);
        this.overrides = true;
        return out;
      } catch (err) {
        if (this.overrides === true || !refusedOverrides(err)) throw err;
        this.overrides = false;
      }
    }
    return this.client.request({ method, params: [tx, "latest"] } as never);
  }
}

/**
 * The RPC refused the request's shape, not the call: JSON-RPC "invalid params" (-32602), as Hardhat
 * answers an extra parameter. A revert (code 3 with data) or an outage is not this.
 */
function refusedOverrides(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === -32602) return true;
    if (e === (e as { cause?: unknown }).cause) break;
  }
  return false;
}
