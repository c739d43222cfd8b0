import { BaseError } from "../errors.ts";

export class NotCanonicalizableError extends BaseError {
  override name = "NotCanonicalizableError";
  constructor(path: string, reason: string) {
    super(`Cannot encode ${path} as canonical JSON: ${reason}.`, {
      fix: "Use only objects, arrays, strings, booleans, null and safe integers, with well-formed Unicode strings.",
    });
  }
}

/** With the `u` flag a surrogate pair is one code point, so this matches only lone halves. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** True when `s` is well-formed UTF-16 (String.prototype.isWellFormed, which ES2023 lacks). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no insignificant whitespace,
 * strings escaped as ECMAScript's JSON.stringify does. For the values a manifest holds
 * (strings, safe integers, objects, arrays) this is exactly RFC 8785 (JCS), so any JCS
 * library in another language produces the same bytes and so the same CID. Non-integer
 * numbers are refused rather than risk a float formatting difference between languages.
 */
export function canonicalJson(value: unknown, path = "$"): string {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new NotCanonicalizableError(path, `${value} is not a safe integer`);
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (!isWellFormed(value)) throw new NotCanonicalizableError(path, "the string holds a lone surrogate");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${canonicalJson(k, path)}:${canonicalJson(v, `${path}.${k}`)}`).join(",")}}`;
  }
  throw new NotCanonicalizableError(path, `a ${typeof value} has no JSON form`);
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
