import type { Logger } from "pino";

/**
 * A part of the daemon with a life of its own, in js-libp2p's shape: made by a factory from
 * what it needs, started once the parts it leans on are, stopped before them.
 */
export type ProviderService = {
  readonly name: string;
  start(): Promise<void> | void;
  /** Must not throw for a service that did not start; errors are logged, never stop the others stopping. */
  stop(): Promise<void> | void;
};

/** Services started in order and stopped in reverse. */
export class ServiceStack {
  readonly #started: ProviderService[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Starts `service` and keeps it for stop(); returns it, so a caller can start and use it in one line. */
  async start<S extends ProviderService>(service: S): Promise<S> {
    await service.start();
    this.#started.push(service);
    return service;
  }

  /** Stops everything started, the last first. */
  async stop(): Promise<void> {
    for (const service of this.#started.splice(0).reverse())
      await Promise.resolve()
        .then(() => service.stop())
        .catch((err) => this.#log.error({ err, service: service.name }, "error while stopping"));
  }
}

/** A service for a part made elsewhere (the journal, the node, the pool), so it stops in its place in the order. */
export const resource = (name: string, stop: () => Promise<unknown> | unknown): ProviderService => ({ name, start() {}, stop: async () => void (await stop()) });

/** A service that runs `fn` every `ms`, never overlapping itself, from start until stop. */
export function everyService(name: string, ms: number, fn: () => Promise<unknown>): ProviderService {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  return {
    name,
    start() {
      timer = setInterval(() => {
        if (running) return;
        running = true;
        fn().finally(() => (running = false));
      }, ms);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
