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
}
