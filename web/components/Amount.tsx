"use client";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { formatAmount } from "@/lib/client/format.ts";

/** A token amount in the market's token, with its decimals and symbol read from the token contract. */
export function Amount({ value, symbol = true }: { value: string | bigint | undefined; symbol?: boolean }) {
  const c = useAppConfig();
  if (value === undefined) return <span className="muted">—</span>;
  return (
    <span className="amount" title={`${value.toString()} base units`}>
      {formatAmount(value, c.tokenDecimals)}
      {symbol && ` ${c.tokenSymbol}`}
    </span>
  );
}
