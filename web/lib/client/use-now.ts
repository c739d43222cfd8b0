"use client";
import { useEffect, useState } from "react";

/** How often countdowns and "x ago" move. */
const TICK_MS = 1_000;

/**
 * Now, in unix seconds, from the wall clock: a quiet chain mines no block for minutes, and a
 * countdown read from the last block's time stood still ("a 7-minute-old job reads just now").
 * Never earlier than `chainTime`, the latest block's time: a chain whose clock runs ahead (a
 * devnet moved on with evm_increaseTime) has passed deadlines the wall clock has not.
 */
export function useNow(chainTime: number): number {
  // 0 until mounted: the server's render and the browser's first must say the same.
  const [wall, setWall] = useState(0);
  useEffect(() => {
    const tick = () => setWall(Math.floor(Date.now() / 1000));
    tick();
    const t = setInterval(tick, TICK_MS);
    return () => clearInterval(t);
  }, []);
  return Math.max(wall, chainTime);
}
