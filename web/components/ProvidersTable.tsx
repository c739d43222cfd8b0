"use client";
import { bps, percent } from "@/lib/client/format.ts";
import type { ProviderRow } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { Amount } from "./Amount.tsx";
import { Empty } from "./Status.tsx";

/** The leaderboard: best reputation first, as the server sorts it. */
export function ProvidersTable({ providers, caption }: { providers: ProviderRow[]; caption: string }) {
  if (!providers.length) return <Empty>No provider has registered yet. Providers join with `accord-provider register`.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Provider</th>
            <th scope="col" className="num">Reputation</th>
            <th scope="col" className="num">Stake</th>
            <th scope="col" className="num">Jobs</th>
            <th scope="col" className="num">Agreement</th>
            <th scope="col" className="num">Ask / 10⁹ fuel</th>
            <th scope="col" className="num">Earned</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {providers.map((p, i) => (
            <tr key={p.address}>
              <td>{i + 1}</td>
              <td>
                <Address value={p.address} provider />
              </td>
              <td className="num">{bps(p.score)}</td>
              <td className="num">
                <Amount value={p.stake} />
              </td>
              <td className="num">{p.awarded}</td>
              <td className="num">{percent(p.agreementRate)}</td>
              <td className="num">
                <Amount value={p.askPrice} />
              </td>
              <td className="num">
                <Amount value={p.earned} />
              </td>
              <td>{p.active ? <span className="badge ok">Active</span> : <span className="badge neutral">Inactive</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
