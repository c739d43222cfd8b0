import { erc20Abi, formatUnits, parseUnits, type PublicClient } from "viem";
import type { AccordClient } from "../../client.ts";
import { explainChainError } from "../../chain/revert.ts";
import { InvalidAmountError } from "../errors.ts";

export type TokenInfo = { address: `0x${string}`; decimals: number; symbol: string; name: string };

const cache = new WeakMap<PublicClient, Promise<TokenInfo>>();

/** The settlement token's decimals and symbol, read once per client. */
export function getTokenInfo(client: AccordClient): Promise<TokenInfo> {
  let p = cache.get(client.publicClient);
  if (!p) {
    const address = client.deployment.token;
    const read = <T>(functionName: "decimals" | "symbol" | "name") =>
      client.publicClient.readContract({ address, abi: erc20Abi, functionName }) as Promise<T>;
    p = Promise.all([read<number>("decimals"), read<string>("symbol"), read<string>("name")])
      .then(([decimals, symbol, name]) => ({ address, decimals: Number(decimals), symbol, name }))
      .catch((err) => {
        cache.delete(client.publicClient);
        throw explainChainError(`Reading the settlement token at ${address}`, err);
      });
    cache.set(client.publicClient, p);
  }
  return p;
}

/** "0.5" → token units, refusing negatives, junk and more decimals than the token has. */
export function parseAmount(value: string, decimals: number): bigint {
  const v = value.trim();
  if (!/^\d+(\.\d+)?$/.test(v) && !/^\.\d+$/.test(v)) throw new InvalidAmountError(value, decimals, "it is not a plain decimal number");
  const frac = v.split(".")[1] ?? "";
  if (frac.length > decimals) throw new InvalidAmountError(value, decimals, `the token has only ${decimals} decimals`);
  return parseUnits(v.startsWith(".") ? `0${v}` : v, decimals);
}

export const formatAmount = (units: bigint, decimals: number) => formatUnits(units, decimals);
