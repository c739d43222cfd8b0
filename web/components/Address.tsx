"use client";
import Link from "next/link";
import { shortAddress } from "@/lib/client/format.ts";
import { CopyButton } from "./CopyText.tsx";

/** A provider or requester address, shortened with a copy button, linking to its provider or account page. */
export function Address({ value, provider = false }: { value: string; provider?: boolean }) {
  const text = <span className="mono" title={value}>{shortAddress(value)}</span>;
  return (
    <span className="copy-text">
      {provider ? (
        <Link href={`/providers/${value}`} aria-label={`Provider ${value}`}>
          {text}
        </Link>
      ) : (
        <Link href={`/accounts/${value}`} aria-label={`Account ${value}`}>
          {text}
        </Link>
      )}
      <CopyButton value={value} label="address" />
    </span>
  );
}
