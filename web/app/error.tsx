"use client";
import { ErrorNotice } from "@/components/Status.tsx";

export default function PageError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <ErrorNotice error={error} title="This page failed">
      <button className="button secondary" onClick={reset}>
        Try again
      </button>
    </ErrorNotice>
  );
}
