import { erc20Abi, toHex, type Address, type TransactionReceipt } from "viem";
import { jobMarketAbi } from "@accord/client/abi";
import { readProvider, type ProviderInfo } from "@accord/client/chain";
import { BaseError } from "../errors.ts";
import type { ChainContext } from "./clients.ts";

/** What the provider tells the market about itself. */
export type ProviderListing = { peerId: Uint8Array; multiaddrs: string[]; askPrice: bigint };

/** At most this many multiaddrs fit on-chain (docs/PROTOCOL.md, "### Providers"). */
export const MAX_REGISTERED_MULTIADDRS = 8;

export class NothingToWithdrawError extends BaseError {
  override name = "NothingToWithdrawError";
  constructor(address: Address, unbonding: bigint, availableAt: bigint) {
    super(`Nothing can be withdrawn for ${address} now.`, {
      details: unbonding > 0n ? `${unbonding} token units are unbonding until ${new Date(Number(availableAt) * 1000).toISOString()}.` : undefined,
      fix: unbonding > 0n ? "Wait until the unbonding delay has passed, then run withdraw again." : "Earnings appear after jobs settle; unstake first to withdraw stake.",
    });
  }
}

/** Registers the provider, or updates its listing if it is registered already. */
export async function registerOrUpdate(ctx: ChainContext, listing: ProviderListing, signal?: AbortSignal): Promise<"registered" | "updated" | "unchanged"> {
  const info = await readProvider(ctx.client, ctx.market, ctx.account.address);
  const multiaddrs = listing.multiaddrs.slice(0, MAX_REGISTERED_MULTIADDRS);
  const peerId = toHex(listing.peerId);
  if (info.registered && info.peerId.toLowerCase() === peerId && info.askPrice === listing.askPrice && sameList(info.multiaddrs, multiaddrs)) return "unchanged";
  const functionName = info.registered ? "updateProvider" : "registerProvider";
  await ctx.sender.send({ address: ctx.market, abi: jobMarketAbi, functionName, args: [peerId, multiaddrs, listing.askPrice], label: functionName, signal });
  return info.registered ? "updated" : "registered";
}

/** Adds stake, approving the market for exactly the amount first if needed. */
export async function addStake(ctx: ChainContext, amount: bigint, signal?: AbortSignal): Promise<TransactionReceipt> {
  const token = await tokenOf(ctx);
  const allowance = await ctx.client.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [ctx.account.address, ctx.market] });
  if (allowance < amount)
    await ctx.sender.send({ address: token, abi: erc20Abi, functionName: "approve", args: [ctx.market, amount], label: `approve ${amount} for staking`, signal });
  return ctx.sender.send({ address: ctx.market, abi: jobMarketAbi, functionName: "stake", args: [amount], label: `stake ${amount}`, signal });
}

export function requestUnstake(ctx: ChainContext, amount: bigint, signal?: AbortSignal): Promise<TransactionReceipt> {
  return ctx.sender.send({ address: ctx.market, abi: jobMarketAbi, functionName: "requestUnstake", args: [amount], label: `unstake ${amount}`, signal });
}

/** Withdraws credited earnings and any unbonded stake that is ready. Returns what left the contract. */
export async function withdrawAll(ctx: ChainContext, signal?: AbortSignal): Promise<{ earnings: bigint; stake: bigint }> {
  const me = ctx.account.address;
  const [earnings, info, block] = await Promise.all([
    ctx.client.readContract({ address: ctx.market, abi: jobMarketAbi, functionName: "withdrawable", args: [me] }) as Promise<bigint>,
    readProvider(ctx.client, ctx.market, me),
    ctx.client.getBlock({ blockTag: "latest" }),
  ]);
  const stakeReady = info.unbonding > 0n && info.unbondingAvailableAt <= block.timestamp;
  if (earnings === 0n && !stakeReady) throw new NothingToWithdrawError(me, info.unbonding, info.unbondingAvailableAt);
  if (earnings > 0n) await ctx.sender.send({ address: ctx.market, abi: jobMarketAbi, functionName: "withdraw", args: [], label: "withdraw earnings", signal });
  if (stakeReady) await ctx.sender.send({ address: ctx.market, abi: jobMarketAbi, functionName: "withdrawUnstaked", args: [], label: "withdraw unbonded stake", signal });
  return { earnings, stake: stakeReady ? info.unbonding : 0n };
}

export async function withdrawable(ctx: ChainContext): Promise<bigint> {
  return (await ctx.client.readContract({ address: ctx.market, abi: jobMarketAbi, functionName: "withdrawable", args: [ctx.account.address] })) as bigint;
}

export async function tokenOf(ctx: ChainContext): Promise<Address> {
  return (await ctx.client.readContract({ address: ctx.market, abi: jobMarketAbi, functionName: "token", args: [] })) as Address;
}

export async function tokenDecimals(ctx: ChainContext): Promise<number> {
  return ctx.client.readContract({ address: await tokenOf(ctx), abi: erc20Abi, functionName: "decimals" });
}

export type { ProviderInfo };

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
