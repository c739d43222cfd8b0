import { erc20Abi, formatUnits, parseUnits, type Address, type PublicClient } from "viem";
import { explainChainError } from "../../chain/revert.ts";
import { InvalidAmountError } from "../errors.ts";

export type TokenInfo = { address: `0x${string}`; decimals: number; symbol: string; name: string };

const cache = new WeakMap<PublicClient, Map<Address, Promise<TokenInfo>>>();

/** The settlement token's decimals and symbol, read once per public client. */
export function getTokenInfo(chain: { publicClient: PublicClient; token: Address }): Promise<TokenInfo> {
  const { publicClient, token: address } = chain;
  let tokens = cache.get(publicClient);
  if (!tokens) cache.set(publicClient, (tokens = new Map()));
  let p = tokens.get(address);
  if (!p) {
    const read = <T>(functionName: "decimals" | "symbol" | "name") => publicClient.readContract({ address, abi: erc20Abi, functionName }) as Promise<T>;
    p = Promise.all([read<number>("decimals"), read<string>("symbol"), read<string>("name")])
      .then(([decimals, symbol, name]) => ({ address, decimals: Number(decimals), symbol, name }))
      .catch((err) => {
        tokens.delete(address);
        throw explainChainError(`Reading the settlement token at ${address}`, err);
      });
    tokens.set(address, p);
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
