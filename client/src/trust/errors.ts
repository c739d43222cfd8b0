import { BaseError } from "../errors.ts";

/** A confidence or adversary share that is not a probability the calculation can use. */
export class InvalidConfidenceError extends BaseError {
  override name = "InvalidConfidenceError";
  readonly field: "confidence" | "adversaryShare";
  constructor(field: "confidence" | "adversaryShare", problem: string, fix: string) {
    super(`Invalid ${field}: ${problem}.`, { fix });
    this.field = field;
  }
}

/** `x` rounded to two significant digits, up or down. */
function roundSignificant(x: number, direction: "up" | "down"): { value: number; decimals: number } {
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(x)));
  const scale = 10 ** decimals;
  const value = (direction === "up" ? Math.ceil(x * scale) : Math.floor(x * scale)) / scale;
  return { value, decimals };
}

/**
 * No job the contract allows meets the confidence against this share: the best one, every replica
 * the contract allows and all of them agreeing, still accepts a wrong result too often.
 */
export class ConfidenceUnreachableError extends BaseError {
  override name = "ConfidenceUnreachableError";
  readonly confidence: number;
  readonly adversaryShare: number;
  /** The highest confidence any job reaches against this share (rounded down). */
  readonly bestConfidence: number;
  /** The largest share this confidence can be held against (rounded down). */
  readonly largestShare: number;

  constructor(confidence: number, adversaryShare: number, maxReplicas: number) {
    // P(wrong) of the unanimous job of maxReplicas, the lowest of any k <= maxReplicas and k/2 < m <= k.
    const best = adversaryShare ** maxReplicas;
    const up = roundSignificant(best, "up");
    const bestConfidence = Number((1 - up.value).toFixed(up.decimals));
    const largest = roundSignificant((1 - confidence) ** (1 / maxReplicas), "down");
    const lowerConfidence = bestConfidence > 0 ? `Lower \`confidence\` to at most ${bestConfidence}, or guard` : "Guard";
    super(
      `No job reaches confidence ${confidence} against colluders holding ${Number((adversaryShare * 100).toPrecision(6))} % of the stake: even ${maxReplicas} replicas (the contract's most) that must all agree accept a wrong result with probability ${best.toExponential(1)}, above the ${(1 - confidence).toExponential(1)} allowed.`,
      {
        fix: `${lowerConfidence} against a smaller \`adversaryShare\` (at most ${largest.value} for this confidence).`,
      },
    );
    this.confidence = confidence;
    this.adversaryShare = adversaryShare;
    this.bestConfidence = bestConfidence;
    this.largestShare = largest.value;
  }
}
