"use client";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { explorerLinks } from "@/lib/client/explorer.ts";
import { shortCid } from "@/lib/client/format.ts";
import { CopyText } from "./CopyText.tsx";

/** Where an event happened on chain: its transaction and block, linked to the explorer when there is one. */
export function TxRef({ tx, block }: { tx: string; block: number }) {
  const links = explorerLinks(useAppConfig().explorerUrl, tx, block);
  return (
    <span className="tx-ref small muted" data-testid="tx-ref" data-tx={tx} data-block={block}>
      {links ? (
        <>
          <a href={links.tx} target="_blank" rel="noreferrer" className="mono" title={tx} aria-label={`Transaction ${tx}`}>
            tx {shortCid(tx)}
          </a>{" "}
          in{" "}
          <a href={links.block} target="_blank" rel="noreferrer" aria-label={`Block ${block}`}>
            block {block}
          </a>
        </>
      ) : (
        <>
          tx <CopyText value={tx} shown={shortCid(tx)} label="transaction hash" /> in block {block}
        </>
      )}
    </span>
  );
}
