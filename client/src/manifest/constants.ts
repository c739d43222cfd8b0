/**
 * Protocol bounds on a job manifest. They cap what a requester can ask of a provider and
 * what a provider must parse before deciding to bid; the sandbox enforces the limits a
 * manifest chooses within them. Changing a bound changes which manifests are valid, so it
 * is a protocol change: say so in docs/PROTOCOL.md.
 */
export const MANIFEST_VERSION = 1;
export const MANIFEST_RUNTIME = "wasi-preview1";

/** A manifest is fetched and parsed before any bid, so it must stay small. */
export const MAX_MANIFEST_BYTES = 256 * 1024;
export const MAX_ARGS_COUNT = 1024;
export const MAX_ENV_COUNT = 256;
export const MAX_INPUT_FILES_COUNT = 1024;
/** Bytes of one input path in UTF-8, the part under /input. */
export const MAX_INPUT_PATH_BYTES = 1024;
export const MAX_NONCE_BYTES = 256;

/** Upper bounds on each sandbox limit a manifest may request. */
export const MAX_FUEL = Number.MAX_SAFE_INTEGER;
/** 65 536 pages of 64 KiB = the 4 GiB address space of wasm32. */
export const MAX_MEMORY_PAGES = 65_536;
export const MAX_STDOUT_BYTES_LIMIT = 64 * 1024 * 1024;
export const MAX_STDERR_BYTES_LIMIT = 64 * 1024 * 1024;
export const MAX_OUTPUT_FILES_LIMIT = 10_000;
export const MAX_OUTPUT_BYTES_LIMIT = 1024 * 1024 * 1024;
/** One day: the wall clock is a backstop, not the measure of work (fuel is). */
export const MAX_WALL_CLOCK_MS_LIMIT = 24 * 60 * 60 * 1000;
