import { CliConfigError } from "../../errors.ts";

export function parseId(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new CliConfigError(`"${text}" is not a job id.`, "Pass the decimal job id `accord job submit` printed (`accord job list` shows yours).");
  return BigInt(text);
}
