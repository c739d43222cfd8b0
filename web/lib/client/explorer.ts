/**
 * Links to a block explorer, when the chain has one (ACCORD_EXPLORER_URL, e.g.
 * https://sepolia.etherscan.io): the Etherscan path layout (/tx/<hash>, /block/<n>,
 * /address/<a>) that Blockscout and most explorers share. A local chain has none: the page
 * then shows the hash to copy and the block number.
 */
export type ExplorerLinks = { tx: string; block: string };

export function explorerLinks(base: string | undefined, tx: string, block: number): ExplorerLinks | undefined {
  if (!base) return undefined;
  const root = base.replace(/\/+$/, "");
  return { tx: `${root}/tx/${tx}`, block: `${root}/block/${block}` };
}
