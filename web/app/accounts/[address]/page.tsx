import type { Metadata } from "next";
import { getAddress, isAddress } from "viem";
import { FROM_ME } from "@/lib/account-cookie.ts";
import { initialAccount } from "@/lib/server/initial.ts";
import { AccountView } from "./account-view.tsx";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ address: string }>; searchParams: Promise<{ from?: string }> };

// One spelling per account, so the page and the live refetch share one cached answer.
const canonical = (address: string) => (isAddress(address, { strict: false }) ? getAddress(address) : address);

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Account ${canonical((await params).address)}` };
}

export default async function AccountPage({ params, searchParams }: Props) {
  const address = canonical((await params).address);
  const { from } = await searchParams;
  return <AccountView address={address} initial={await initialAccount(address)} fromMe={from === FROM_ME} />;
}
