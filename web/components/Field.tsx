import type { ReactNode } from "react";

/** The attributes an input needs to be tied to its label, hint and error message. */
export function describedBy(id: string, hint: boolean, error: string | undefined) {
  const ids = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  return { id, "aria-describedby": ids || undefined, "aria-invalid": error ? true : undefined };
}

/** A labelled form field with its hint and, beside it, what is wrong with the value. */
export function Field({ id, label, hint, error, wide, children }: { id: string; label: ReactNode; hint?: ReactNode; error?: string; wide?: boolean; children: ReactNode }) {
  return (
    <div className={`field${wide ? " wide" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="error-text" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
