// Whether a page fits a phone's screen, for the web tests, and what runs past it when it does not.
import type { Page } from "playwright-core";

export type ScreenFit = {
  /** The document's scroll width: more than the screen's means the page scrolls sideways. */
  scrollWidth: number;
  /** The elements that first cross the right edge (their parent does not), so a failure names them. */
  offenders: string[];
};

/**
 * Measured against `width`, the screen the test set, not window.innerWidth: a mobile browser
 * widens its layout viewport to a page that overflows (a 632 px page gave innerWidth 632), so
 * comparing the two could never fail. An element inside a box that scrolls or clips within the
 * screen is not an offender: a wide table scrolling in its own box is the intended layout.
 */
export async function screenFit(page: Page, width: number): Promise<ScreenFit> {
  return page.evaluate((screen) => {
    const describe = (e: Element) =>
      e.tagName.toLowerCase() +
      (e.id ? `#${e.id}` : "") +
      (typeof e.className === "string" && e.className ? `.${e.className.trim().split(/\s+/).join(".")}` : "") +
      (e.getAttribute("data-testid") ? `[data-testid=${e.getAttribute("data-testid")}]` : "");
    const offenders: string[] = [];
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= screen + 0.5) continue;
      if ((el.parentElement?.getBoundingClientRect().right ?? 0) > screen + 0.5) continue;
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== "visible") {
          clipped = a.getBoundingClientRect().right <= screen + 0.5;
          break;
        }
      if (clipped) continue;
      const path: string[] = [];
      for (let e: Element | null = el; e && e !== document.body && path.length < 5; e = e.parentElement) path.push(describe(e));
      offenders.push(`${path.join(" < ")} reaches ${Math.round(box.right)} px: "${(el.textContent ?? "").trim().slice(0, 60)}"`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 10) };
  }, width);
}
