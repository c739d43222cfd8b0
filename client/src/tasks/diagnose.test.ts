import { describe, expect, it } from "vitest";
import type { NoBidsDiagnosis, NoBidsReason } from "../actions/errors.ts";
import { mayFillLater } from "./diagnose.ts";

const diagnosis = (...reasons: NoBidsReason[]): NoBidsDiagnosis => ({ jobId: 1n, registered: 3, eligible: [], reasons });
const declined = (...codes: string[]): NoBidsReason => ({
  code: "declined",
  message: "declined",
  providers: ["0x1"],
  declines: codes.map((code) => ({ code, message: code }) as never),
});

describe("whether a task that got no bids is worth posting again", () => {
  it("is when a provider was busy, offline, silent or could not fetch the job", () => {
    expect(mayFillLater(diagnosis({ code: "no-capacity", message: "", providers: [] }))).toBe(true);
    expect(mayFillLater(diagnosis({ code: "unreachable", message: "", providers: [] }))).toBe(true);
    expect(mayFillLater(diagnosis(declined("window"), declined("capacity")))).toBe(true);
    expect(mayFillLater(diagnosis(declined("manifest")))).toBe(true);
    expect(mayFillLater(diagnosis())).toBe(true);
  });
  it("is not when every provider refused what the task is or can never bid", () => {
    expect(mayFillLater(diagnosis(declined("window"), declined("price", "backstop")))).toBe(false);
    expect(mayFillLater(diagnosis({ code: "price-below-ask", message: "", providers: [] }, { code: "stake-too-low", message: "", providers: [] }))).toBe(false);
  });
});
