import { initialProviders } from "@/lib/server/initial.ts";
import { ProvidersView } from "./providers-view.tsx";

export const dynamic = "force-dynamic";

export default async function ProvidersPage() {
  return <ProvidersView initial={await initialProviders()} />;
}
