import type { ReactNode } from "react";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

type Explained = { message: string; fix?: string; details?: string; shortMessage?: string };

/** An error as the user should read it: what went wrong, then what to do. */
export function ErrorNotice({ error, title, children }: { error: unknown; title?: string; children?: ReactNode }) {
  const e = (error ?? {}) as Explained;
  const message = e.shortMessage ?? e.message ?? String(error);
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>{title ?? message}</strong>
      </p>
      {title && <p>{message}</p>}
      {e.details && <p className="small">{e.details}</p>}
      {e.fix && <p>What to do: {e.fix}</p>}
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
