import { MeView } from "./me-view.tsx";

/** "My jobs": proxy.ts sends a browser that remembers its wallet's address to that account's page before this renders. */
export default function MyAccountPage() {
  return <MeView />;
}
