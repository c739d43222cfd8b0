import { createConnector } from "wagmi";
import { createWalletClient, getAddress, http, numberToHex, type Address, type EIP1193RequestFn } from "viem";
import { DEFAULT_DEV_ACCOUNT, DEV_ACCOUNT_COUNT, devAccounts } from "./dev-accounts.ts";

export const DEV_WALLET_ID = "accordDevWallet";
const STORAGE_KEY = "accord.devWallet";

type Stored = { connected: boolean; index: number };

function load(): Stored {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Stored | null;
    if (v && Number.isInteger(v.index) && v.index >= 0 && v.index < DEV_ACCOUNT_COUNT) return v;
  } catch {}
  return { connected: false, index: DEFAULT_DEV_ACCOUNT };
}

function save(v: Stored) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(v));
  } catch {}
}

/**
 * A wallet built into the app for the local chain: it holds Hardhat's well-known development
 * accounts and signs in the page (transactions, messages, typed data), sending signed
 * transactions through `rpcUrl`. wagmi uses its viem client directly (getClient), so every
 * wagmi action behaves as with a browser extension.
 */
export function devWallet(parameters: { rpcUrl: string }) {
  let state: Stored = { connected: false, index: DEFAULT_DEV_ACCOUNT };
  return createConnector<{ request: EIP1193RequestFn }, { selectAccount(index: number): void; accountIndex(): number }>((config) => {
    const chain = config.chains[0];
    const account = () => devAccounts()[state.index]!;
    const transport = http(parameters.rpcUrl);
    return {
      id: DEV_WALLET_ID,
      name: "Development wallet",
      type: DEV_WALLET_ID,
      async setup() {
        state = load();
      },
      async connect({ withCapabilities } = {}) {
        state = { ...state, connected: true };
        save(state);
        const address = account().address;
        return {
          accounts: (withCapabilities ? [{ address, capabilities: {} }] : [address]) as never,
          chainId: chain.id,
        };
      },
      async disconnect() {
        state = { ...state, connected: false };
        save(state);
      },
      async getAccounts() {
        return state.connected ? [account().address] : [];
      },
      async getChainId() {
        return chain.id;
      },
      async getProvider() {
        const request = (async ({ method, params }: { method: string; params?: unknown }) => {
          if (method === "eth_chainId") return numberToHex(chain.id);
          if (method === "eth_accounts" || method === "eth_requestAccounts") return state.connected ? [account().address] : [];
          return transport({ chain }).request({ method, params } as never);
        }) as EIP1193RequestFn;
        return { request };
      },
      async getClient() {
        return createWalletClient({ account: account(), chain, transport });
      },
      async isAuthorized() {
        return load().connected;
      },
      onAccountsChanged(accounts: string[]) {
        if (!accounts.length) this.onDisconnect();
        else config.emitter.emit("change", { accounts: accounts.map((a) => getAddress(a)) as Address[] });
      },
      onChainChanged() {},
      onDisconnect() {
        config.emitter.emit("disconnect");
      },
      selectAccount(index: number) {
        state = { ...state, index };
        save(state);
        if (state.connected) config.emitter.emit("change", { accounts: [account().address] });
      },
      accountIndex() {
        return state.index;
      },
    };
  });
}
