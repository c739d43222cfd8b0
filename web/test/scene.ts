import { rmSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";

/** What a chromium suite starts in its beforeAll, any part of which may be missing if the start failed. */
export type WebScene = {
  context?: BrowserContext;
  browser?: Browser;
  web?: { stop(): Promise<void> };
  providers?: ReadonlyArray<{ provider: { stop(): Promise<void> } }>;
  devnet?: { stop(): Promise<void> };
  work?: string;
};

/**
 * Stops a suite's scene in the order that leaves nothing talking to a stopped part: the browser
 * before the web server, the providers before the chain. A part that fails to stop does not keep
 * the rest running.
 */
export async function stopScene(s: WebScene): Promise<void> {
  await s.context?.close().catch(() => {});
  await s.browser?.close().catch(() => {});
  await s.web?.stop();
  for (const p of s.providers ?? []) await p.provider.stop().catch(() => {});
  await s.devnet?.stop();
  if (s.work) rmSync(s.work, { recursive: true, force: true });
}
