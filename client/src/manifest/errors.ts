import { BaseError } from "../errors.ts";

/** One broken rule: where in the manifest (`limits.fuel`, `inputs["a/b"]`) and which rule. */
export type ManifestIssue = { field: string; rule: string };

export class InvalidManifestError extends BaseError {
  override name = "InvalidManifestError";
  /** The first broken rule's field path, e.g. `limits.fuel` or `inputs["../x"]`. */
  readonly field: string;
  readonly rule: string;
  /** Every broken rule found, the first one repeated as `field`/`rule`. */
  readonly issues: ManifestIssue[];

  constructor(issues: ManifestIssue[], params: { cause?: unknown } = {}) {
    const [first] = issues;
    super(`Invalid manifest: ${first.field} ${first.rule}.`, {
      metaMessages: issues.length > 1 ? issues.slice(1).map((i) => `also: ${i.field} ${i.rule}`) : undefined,
      fix: "Correct the field named above; docs/PROTOCOL.md (## Manifest) lists every field and its rule.",
      cause: params.cause,
    });
    this.field = first.field;
    this.rule = first.rule;
    this.issues = issues;
  }
}

/** Renders a path the way a reader would write it: `limits.fuel`, `args[2]`, `inputs["a b"]`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || "(manifest)";
}
