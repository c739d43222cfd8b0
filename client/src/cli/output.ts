import { formatAmount } from "../actions/internal/token.ts";
import { BaseError } from "../errors.ts";
import { cliErrorText, cliFix } from "./errors.ts";

/** How the CLI talks: progress and errors to stderr, the answer to stdout; JSON when asked. */
export type Output = {
  json: boolean;
  /** A progress line (never in JSON mode: stdout stays one parseable document). */
  step(line: string): void;
  /** The command's answer: `human` text, or `data` as JSON. */
  result(data: unknown, human: string): void;
  error(err: unknown): void;
};

/** JSON with bigints as decimal strings and bytes as UTF-8 text (or base64 when not text). */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return bytesForJson(v);
      if (v && typeof v === "object" && v.type === "Buffer" && Array.isArray(v.data)) return bytesForJson(Uint8Array.from(v.data));
      return v;
    },
    2,
  );
}

function bytesForJson(b: Uint8Array): { utf8: string } | { base64: string } {
  try {
    return { utf8: new TextDecoder("utf-8", { fatal: true }).decode(b) };
  } catch {
    return { base64: Buffer.from(b).toString("base64") };
  }
}

export function createOutput(json: boolean, streams = { out: process.stdout, err: process.stderr }): Output {
  return {
    json,
    step(line) {
      if (!json) streams.err.write(`${line}\n`);
    },
    result(data, human) {
      streams.out.write(json ? `${toJson(data)}\n` : human.endsWith("\n") ? human : `${human}\n`);
    },
    error(err) {
      const e = err as BaseError;
      if (json) {
        streams.out.write(
          `${toJson({ error: { name: e?.name ?? "Error", message: e?.shortMessage ?? String(e?.message ?? err), details: e?.details, fix: err instanceof BaseError ? cliFix(err) : e?.fix, metaMessages: e?.metaMessages } })}\n`,
        );
      } else {
        const text = err instanceof BaseError ? cliErrorText(err) : `${(err as Error)?.message ?? err}`;
        streams.err.write(`error: ${text}\n`);
      }
    },
  };
}

export const fmtBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;

export const fmtSpeed = (bytes: number, ms: number): string => `${fmtBytes(Math.round(bytes / Math.max(ms / 1000, 1e-6)))}/s`;

export const fmtTokens = (units: bigint, decimals: number, symbol: string): string => `${formatAmount(units, decimals)} ${symbol}`;

export const short = (hex: string): string => (hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex);

export const fmtTime = (unixSeconds: bigint): string => new Date(Number(unixSeconds) * 1000).toISOString().replace(".000Z", "Z");
