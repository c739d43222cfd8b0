import { mnemonicToAccount } from "viem/accounts";
import { bytesToHex, type Address, type Hex } from "viem";

/** Hardhat's well-known development mnemonic: public knowledge, for local chains only. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export type DevAccount = { address: Address; privateKey: Hex };

/** The 20 accounts `hardhat node` funds with ETH, in its order. */
export const DEV_ACCOUNTS: readonly DevAccount[] = Array.from({ length: 20 }, (_, i) => {
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
  return { address: account.address, privateKey: bytesToHex(account.getHdKey().privateKey!) };
});

/** Roles on the devnet, by account index: who deploys, who requests, who provides. */
export const DEV_ROLES = {
  deployer: 0,
  requesters: [1, 2, 3],
  providers: [4, 5, 6, 7, 8, 9, 10, 11],
} as const;
