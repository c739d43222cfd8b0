import { mnemonicToAccount, type HDAccount } from "viem/accounts";

/**
 * Hardhat's well-known development mnemonic: public knowledge, funded only on local chains.
 * The development wallet exists so the app works on the devnet with no extension installed.
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** Accounts offered: Hardhat's first ten (deployer, requesters, providers on the devnet). */
export const DEV_ACCOUNT_COUNT = 10;
/** The devnet's first requester (scripts/devnet/accounts.ts DEV_ROLES). */
export const DEFAULT_DEV_ACCOUNT = 1;

let cached: HDAccount[] | undefined;

/** The accounts, derived once: each derivation runs the seed's PBKDF2, so not on every render. */
export function devAccounts(): HDAccount[] {
  cached ??= Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }));
  return cached;
}
