import Link from "next/link";
import { shortAddress } from "@/lib/client/format.ts";

/** A provider or requester address; providers link to their page. */
export function Address({ value, provider = false }: { value: string; provider?: boolean }) {
  const text = <span className="mono" title={value}>{shortAddress(value)}</span>;
  return provider ? (
    <Link href={`/providers/${value}`} aria-label={`Provider ${value}`}>
      {text}
    </Link>
  ) : (
    text
  );
}
