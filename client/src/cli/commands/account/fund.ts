import { formatEther, getAddress, isAddress, parseEther } from "viem";
import { getTokenInfo, parseAmount } from "../../../actions/internal/token.ts";
import { explainChainError } from "../../../chain/revert.ts";
import { testTokenAbi } from "../../../generated/abi.ts";
import { CliConfigError } from "../../errors.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";

/**
 * `accord fund <address> <amount> [--gas <ether>]`: on a development chain, mints the market's test
 * token to an account (and sends it native coin for gas), signed by the token's owner, the key
 * that deployed it. On a chain whose market settles in a real token there is nothing to mint.
 */
export default async function fund(ctx: CommandContext, to: string, amountText: string, options: { gas?: string }): Promise<void> {
  if (!isAddress(to)) throw new CliConfigError(`"${to}" is not an address.`, "Pass the account to fund as 0x followed by 40 hex digits (`accord-provider address` prints a provider's).");
  let gas: bigint | undefined;
  if (options.gas !== undefined) {
    try {
      gas = parseEther(options.gas);
    } catch {
      gas = undefined;
    }
    if (gas === undefined || gas <= 0n || !/^\d*\.?\d+$/.test(options.gas)) throw new CliConfigError(`--gas ${options.gas} is not an amount of ether.`, "Pass it as a positive decimal number, e.g. --gas 1.");
  }
  const client = await ctx.client({ withKey: false });
  const account = client.account;
  if (!account || !client.walletClient) throw new CliConfigError("Funding needs the token owner's key, and no key is set.", "Set ACCORD_PRIVATE_KEY (or --key-file) to the key that deployed the test token.");
  const recipient = getAddress(to);
  const token = await getTokenInfo({ publicClient: client.publicClient, token: client.deployment.token });
  const amount = parseAmount(amountText, token.decimals);
  // Who may mint is the test token's owner; a token without owner() is not Accord's TestToken.
  const owner = await client.publicClient.readContract({ address: token.address, abi: testTokenAbi, functionName: "owner" }).catch(() => undefined);
  if (!owner)
    throw new CliConfigError(
      `The market's token ${token.address} (${token.symbol}) is not Accord's test token: nobody can mint it.`,
      `Fund ${recipient} by transferring ${token.symbol} to it from an account that holds some.`,
    );
  if (owner.toLowerCase() !== account.address.toLowerCase())
    throw new CliConfigError(
      `Only the test token's owner ${owner} may mint it, and this command signs as ${account.address}.`,
      "Run it with the deployer's key, e.g. `ACCORD_PRIVATE_KEY=$ACCORD_DEPLOYER_KEY npx accord fund …`.",
    );

  const send = async (what: string, hash: Promise<`0x${string}`>) => {
    try {
      const receipt = await client.publicClient.waitForTransactionReceipt({ hash: await hash });
      if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
      return receipt.transactionHash;
    } catch (err) {
      throw explainChainError(what, err);
    }
  };
  const minted = await send(
    `Minting ${token.symbol} to ${recipient}`,
    client.walletClient.writeContract({ address: token.address, abi: testTokenAbi, functionName: "mint", args: [recipient, amount], account, chain: client.chain }),
  );
  const sent = gas === undefined ? undefined : await send(`Sending ${options.gas} ETH to ${recipient}`, client.walletClient.sendTransaction({ to: recipient, value: gas, account, chain: client.chain }));
  ctx.out.result(
    { address: recipient, token: token.address, amount, mintTransaction: minted, gas, gasTransaction: sent },
    `✓ ${recipient} received ${fmtTokens(amount, token.decimals, token.symbol)}${gas === undefined ? "" : ` and ${formatEther(gas)} ETH for gas`} (tx ${minted})`,
  );
}
