import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";

/**
 * The value kinds settings are made of. Each takes what a flag or an environment variable gives
 * (a string) and what a JSON config file gives (a number, a boolean, an array), and fails with one
 * message saying what it must be: the resolver adds which setting and where it came from.
 */

const must = (what: string) => ({ error: `must be ${what}` });

export const text = () => z.string(must("a non-empty string")).trim().min(1, must("a non-empty string"));

/** A chain endpoint viem can reach: http(s) or ws(s). */
export const rpcUrl = () =>
  z.string(must("an http(s) or ws(s) URL")).refine((s) => {
    try {
      return ["http:", "https:", "ws:", "wss:"].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, must("an http(s) or ws(s) URL"));

/** A web page's base URL (a block explorer). */
export const httpUrl = () =>
  z.string(must("an http(s) URL")).refine((s) => {
    try {
      return ["http:", "https:"].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, must("an http(s) URL"));

const ADDRESS = "a 0x-prefixed 20-byte address (0x and 40 hex digits)";
/** Any capitalisation is taken; the value is checksummed. */
export const address = () =>
  z
    .string(must(ADDRESS))
    .trim()
    .refine((s) => isAddress(s, { strict: false }), must(ADDRESS))
    .transform((s) => getAddress(s) as Address);

/** A list: a JSON array in a file, comma-separated in a flag or the environment. */
export const list = <T extends z.ZodType>(item: T, what: string) =>
  z
    .union([z.array(z.unknown()), z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))], must(what))
    .pipe(z.array(item));

export const integer = (p: { min?: number; max?: number; what?: string } = {}) => {
  const what = p.what ?? (p.min === 1 ? "a positive integer" : p.min === 0 ? "a whole non-negative number" : "an integer");
  return z
    .union([z.number(), z.string().trim().regex(/^-?\d+$/, must(what)).transform(Number)], must(what))
    .pipe(z.number().int(must(what)).min(p.min ?? Number.MIN_SAFE_INTEGER, must(what)).max(p.max ?? Number.MAX_SAFE_INTEGER, must(what)));
};

/** Token units and block numbers: whole, non-negative, beyond 2^53 (as decimal strings in a file). */
export const bigUint = (what = "a whole non-negative number") =>
  z
    .union([z.number().int(must(what)).nonnegative(must(what)), z.string().trim().regex(/^\d+$/, must(what))], must(what))
    .transform((v) => BigInt(v));

/** true/false, also as the strings a flag or the environment gives. */
export const boolean = () => z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")], must("true or false"));

/** One of `values`; with `booleans`, JSON's true and false stand for two of them (a file's "relay": true). */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, booleans?: { true: T[number]; false: T[number] }) => {
  const what = must(`one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
  const names = z.enum(values, what);
  if (!booleans) return names;
  return z.union([names, z.boolean().transform((b): T[number] => (b ? booleans.true : booleans.false))], what);
};

/** Milliseconds, bytes, counts where a fraction is harmless. */
export const number = (p: { min?: number; what?: string } = {}) => {
  const what = must(p.what ?? (p.min === 0 ? "a non-negative number" : "a number"));
  return z
    .union([z.number(), z.string().trim().min(1, what).transform(Number)], what)
    .pipe(z.number(what).min(p.min ?? -Infinity, what));
};
