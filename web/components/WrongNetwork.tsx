"use client";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { useNetwork } from "@/lib/client/use-network.ts";
import { ErrorNotice } from "./Status.tsx";

/** Shown wherever the page would ask the wallet to sign: says which chain is wrong and moves the wallet. */
export function WrongNetwork({ doing }: { doing: string }) {
  const app = useAppConfig();
  const net = useNetwork();
  if (!net.wrong) return null;
  return (
    <div data-testid="wrong-network">
      <ErrorNotice error={net.problem} title={`${doing} is blocked: wrong network`}>
        <p>
          <button type="button" className="button" onClick={net.switchNetwork} disabled={net.switching} data-testid="switch-network">
            {net.switching ? "Switching…" : `Switch network to ${app.chainName}`}
          </button>
        </p>
        {net.switchError && <p className="small">The wallet did not switch: {net.switchError.message.split("\n")[0]}</p>}
      </ErrorNotice>
    </div>
  );
}
