import type { Manifest } from "@accord/client/manifest";

/** GET /api/manifests/<cid>: the job's manifest, or why it cannot be shown and what that means. */
export type ManifestAnswer = { available: true; manifest: Manifest } | { available: false; reason: string; fix: string };
