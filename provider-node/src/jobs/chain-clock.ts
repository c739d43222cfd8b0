/** The chain's clock as last seen, advanced by wall time since (blocks come when they come). */
export class ChainClock {
  private timestamp = 0;
  private observedAtMs = Date.now();
  observe(timestamp: bigint): void {
    const t = Number(timestamp);
    if (t >= this.timestamp) {
      this.timestamp = t;
      this.observedAtMs = Date.now();
    }
  }
  now(): number {
    return this.timestamp + Math.floor((Date.now() - this.observedAtMs) / 1000);
  }
  /**
   * The earliest timestamp the next block can carry, so the earliest a transaction sent now can
   * act at: later than the last block seen, and not before now. Never later than the truth while
   * this clock lags the chain, which it only ever does.
   */
  nextBlockAtLeast(): number {
    return Math.max(this.timestamp + 1, this.now());
  }
}
