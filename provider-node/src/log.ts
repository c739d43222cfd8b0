import { pino, type Logger } from "pino";

/**
 * Structured JSON logs on stderr (stdout stays free for `--json` output). Anything that looks
 * like a key is redacted, should a caller ever pass one in by mistake.
 */
export function createLogger(options: { level?: string; name?: string; destination?: number } = {}): Logger {
  return pino(
    {
      name: options.name ?? "accord-provider",
      level: options.level ?? "info",
      redact: { paths: ["privateKey", "*.privateKey", "key", "*.key", "secretKey", "*.secretKey"], censor: "[redacted]" },
      base: { pid: process.pid },
    },
    pino.destination({ fd: options.destination ?? 2, sync: true }),
  );
}
