/**
 * Every limit of the provider node, with its unit in its name. Each is a default: the
 * config (file, ACCORD_* environment, flags) overrides it through `limits`.
 */
export const PROVIDER_LIMITS = {
  /** How often the watcher asks the chain for new blocks. */
  pollIntervalMs: 500,
  /** Blocks to stay behind the head (0 on chains that never reorganise, like Hardhat's). */
  confirmations: 0,

  /** Fetching a manifest before a bid, one attempt (see contentRetryFirstMs). */
  manifestFetchTimeoutMs: 10_000,
  /**
   * A job whose manifest, module or input no peer served is fetched again after this, then after
   * twice as long each time up to contentRetryMaxMs, until its bid deadline, instead of being
   * declined at once: under load the requester's node answers late, or connects to this node
   * after its job was posted (bench:realchain: a third of 110 jobs posted at once were declined
   * for content on the first try, by every provider).
   */
  contentRetryFirstMs: 2_000,
  contentRetryMaxMs: 15_000,
  /**
   * Fetching from the peers connected to us that are not providers (the requester, usually)
   * before the DHT: a peer that has not sent a block for this long is given up for the DHT.
   */
  directFetchTimeoutMs: 3_000,
  /**
   * Connected non-provider peers asked directly for a job's content, at most, all at once.
   * A requester connected to every provider does not announce its jobs in the DHT (see the
   * client's announceManifests), so each provider must ask every requester it is connected
   * to: at 8, a provider serving 11 requesters never asked the oldest three, and their jobs'
   * manifests were not found (bench:realchain).
   */
  maxDirectContentPeers: 64,
  /** How often the registered providers' peer ids are re-read (they are not asked for job content first). */
  providerPeersRefreshMs: 30_000,
  /** Fetching a module or input at run time, per idle block. */
  contentFetchTimeoutMs: 30_000,
  /** Largest module this node will load. */
  maxModuleBytes: 64 * 1024 * 1024,
  /** Largest stdin plus input files, in total. */
  maxInputBytes: 64 * 1024 * 1024,
  /** Largest fuel budget this node accepts for one job. */
  maxJobFuel: 50_000_000_000,
  /** Largest memory this node lets one job use, in 64 KiB pages (256 MiB). */
  maxJobMemoryPages: 4_096,
  /** Largest wall-clock backstop a manifest may ask for. */
  maxJobWallClockMs: 10 * 60_000,
  /** Largest result (stdout + stderr + /output) the node will seal and serve. */
  maxResultBytes: 128 * 1024 * 1024,

  /** Sandbox workers: jobs running at once. */
  workers: 1,
  /** Jobs won or bid for but not yet committed, per worker: beyond this the node stops bidding. */
  maxQueuedJobsPerWorker: 4,
  /** Jobs evaluated at once (manifest and inputs fetched before a bid). */
  maxConcurrentEvaluations: 8,
  /**
   * Fuel this machine burns per second, to estimate whether a job finishes before its commit
   * deadline. Conservative: a slow run misses a deadline and loses collateral.
   */
  fuelPerSecond: 200_000_000,
  /** Share of the commit window the node plans to use, leaving the rest for fetch and the commit tx. */
  commitWindowShare: 0.5,

  /**
   * Jobs whose fuel budget is at most this are run before the bid and bid with `bidAndCommit`
   * (the bid carries the commitment: 2k + 1 transactions per job instead of 3k + 1, and no
   * commit round trip after the award). Above it the node bids first and runs only once
   * awarded, since a provider that loses the auction ran the job for nothing. 0: never.
   */
  bidAndCommitMaxFuel: 100_000_000,

  /** A run that failed without a result (crash, backstop, fetch) is tried this many times in all. */
  maxRunAttempts: 2,
  /**
   * A job waiting for an event (its award after our bid, its settlement after our reveal) reads
   * the chain itself after this long, in case the event never reached the node; reading right
   * after each bid and reveal was ~4 of the ~10 reads per job of every node.
   */
  eventFallbackMs: 30_000,
  /**
   * Evaluations share one read of this node's provider record (registration, reputation, free
   * stake) while it is younger than this; each read it for itself (an eth_call per job).
   */
  ownRecordMaxAgeMs: 1_000,
  /** The market's collateral ratio (set by its admin, snapshotted by each job) is re-read after this long. */
  marketParametersMaxAgeMs: 60_000,
  /** Waiting before retrying a step that failed for a passing reason (RPC down, content not found yet). */
  stepRetryMs: 1_000,

  /**
   * Market calls (bids, commits, reveals, claims) of all jobs that arrive within this long of the
   * last transaction go out together in one `tryMulticall` transaction: one signature, estimate,
   * broadcast and receipt instead of one per call. A call waits at most this long.
   */
  txBatchIntervalMs: 200,
  /** Most market calls in one transaction. */
  txBatchMaxCalls: 32,

  /** Transactions: waiting for a receipt before asking again. */
  txReceiptTimeoutMs: 60_000,
  /** Back-off bounds while the RPC refuses or drops requests; sends are retried, never lost. */
  rpcRetryMinMs: 250,
  rpcRetryMaxMs: 10_000,
  /** One RPC request before it counts as dropped. */
  rpcRequestTimeoutMs: 10_000,

  /**
   * Seconds of chain time past a deadline before this node pushes a job on itself (award,
   * finalize, claim), so the party most interested usually pays that gas.
   */
  claimGraceSeconds: 0,
  /**
   * Seconds between the turns of a job's bidders to push it past a deadline (see pushTurn):
   * long enough for the first push to be mined and seen on a chain with blocks of a few seconds.
   */
  pushTurnSeconds: 6,
  /** How long a sealed result stays pinned after its job settles. */
  resultRetentionMs: 7 * 24 * 3_600_000,
  /** How often expired results are unpinned and their blocks collected. */
  retentionSweepIntervalMs: 60_000,
  /** How often credited earnings are withdrawn (0: never, withdraw by hand). */
  withdrawIntervalMs: 3_600_000,
  /** Earnings below this (token units) are left credited until they grow. */
  minWithdrawAmount: 1n,
  /** How often the on-chain addresses are compared with the node's and updated if they moved. */
  addressCheckIntervalMs: 300_000,
  /**
   * 1: announce each sealed result in the DHT after committing; 0 (default): don't. Requesters
   * fetch a result from the provider's registered addresses (on-chain, kept current by the
   * node) and use the DHT only for providers those addresses do not reach. An announcement is
   * a lookup plus a provider record written by every close peer: three per 3-replica job were
   * most of the DHT work of a busy market, for a fallback that finds the same node.
   */
  announceResults: 0,
  /** Announcing a sealed result in the DHT; a lonely node must not wait forever. */
  provideTimeoutMs: 10_000,

  /** Journal: how long a write waits for the SQLite lock held by another process (e.g. `status`). */
  journalBusyTimeoutMs: 5_000,
  /** Stopping: in-flight work gets this long to reach a safe point before the process exits. */
  shutdownTimeoutMs: 10_000,
};

export type ProviderLimits = typeof PROVIDER_LIMITS;

/** Defaults of the bidding policy; all prices in token units. */
export const DEFAULT_PRICING = {
  /** Price per 1e9 fuel of the manifest's budget (what the node advertises as its ask). */
  pricePerGigaFuel: 1_000n,
  /** Price per MiB of memory the manifest may use. */
  pricePerMemoryMiB: 1n,
  /** Price per MiB of module and inputs to fetch. */
  pricePerInputMiB: 1n,
  /** No bid is ever lower than this. */
  minPrice: 1n,
};

/** Where the metrics and health endpoints listen. Loopback only: they are not for the world. */
export const METRICS_HOST = "127.0.0.1";
export const DEFAULT_METRICS_PORT = 9464;

/** Files under the data directory. */
export const KEY_FILE_NAME = "provider.key";
export const CONFIG_FILE_NAME = "config.json";
export const JOURNAL_FILE_NAME = "journal.sqlite";
export const NODE_DIR_NAME = "node";
/** Instrumented modules the sandbox processes keep for each other and for later runs. */
export const MODULE_CACHE_DIR_NAME = "modules";

export const FUEL_PER_GIGA = 1_000_000_000n;
export const MIB = 1024 * 1024;
export const WASM_PAGE_BYTES = 65_536;
