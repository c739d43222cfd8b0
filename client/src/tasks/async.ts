/** An unbounded queue one consumer awaits: `end` finishes it after what was pushed, `fail` at once. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private done = false;
  private error: { err: unknown } | undefined;
  private wake: (() => void) | undefined;

  get length(): number {
    return this.items.length;
  }
  push(item: T): void {
    this.items.push(item);
    this.poke();
  }
  end(): void {
    this.done = true;
    this.poke();
  }
  fail(err: unknown): void {
    this.error ??= { err };
    this.poke();
  }
  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  /** The next item, or undefined once ended; throws what `fail` was given. */
  async next(): Promise<T | undefined> {
    for (;;) {
      if (this.error) throw this.error.err;
      if (this.items.length) return this.items.shift();
      if (this.done) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Runs at most `max` of the functions given to it at once; the others wait their turn in order. */
export function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (running >= max) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
