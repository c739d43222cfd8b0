"use client";
import { useState } from "react";

/** Copies `value` whole; says so to screen readers too. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      aria-label={`Copy ${label}`}
      title={`Copy ${label}`}
      data-testid="copy"
      onClick={() =>
        void navigator.clipboard.writeText(value).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          },
          () => setCopied(false),
        )
      }
    >
      <span aria-hidden="true">{copied ? "✓" : "⧉"}</span>
      <span className="visually-hidden" aria-live="polite">
        {copied ? `${label} copied` : ""}
      </span>
    </button>
  );
}

/**
 * A long identifier (address, CID, peer id) shown shortened, whole in its title, with a button
 * that copies it whole: on a phone the full value cannot fit, and must not wrap digit by digit.
 */
export function CopyText({ value, shown, label, testId }: { value: string; shown: string; label: string; testId?: string }) {
  return (
    <span className="copy-text" data-testid={testId}>
      <span className="mono" title={value}>
        {shown}
      </span>
      <CopyButton value={value} label={label} />
    </span>
  );
}
