import { initialProvider } from "@/lib/server/initial.ts";
import { ProviderPage } from "./provider-page.tsx";

export const dynamic = "force-dynamic";

export default async function Page({ params }: { params: Promise<{ address: string }> }) {
  const { address } = await params;
  return <ProviderPage address={address} initial={await initialProvider(address)} />;
}
