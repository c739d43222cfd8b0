import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { BaseError } from "./errors.ts";

/** Addresses of one deployment, as scripts/deploy writes them to deployments/<chainId>.json. */
export type Deployment = {
  chainId: number;
  jobMarket: Address;
  token: Address;
  /** Block of the JobMarket deployment: where event scans start. */
  startBlock: number;
  rpcUrl?: string;
};

export class DeploymentNotFoundError extends BaseError {
  override name = "DeploymentNotFoundError";
  constructor(chainId: number, path: string) {
    super(`No Accord deployment is known for chain ${chainId}.`, {
      details: `${path} does not exist.`,
      fix: "Pass the deployment's addresses (`deployment` in createAccordClient), or point ACCORD_DEPLOYMENTS_DIR at a folder holding <chainId>.json for this chain.",
    });
  }
}

/** The repository's deployments/ folder (overridable with ACCORD_DEPLOYMENTS_DIR). */
export function deploymentsDir(): string {
  if (process.env.ACCORD_DEPLOYMENTS_DIR) return resolve(process.env.ACCORD_DEPLOYMENTS_DIR);
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "deployments");
}

export function deploymentPath(chainId: number, dir = deploymentsDir()): string {
  return join(dir, `${chainId}.json`);
}

export function readDeployment(chainId: number, dir = deploymentsDir()): Deployment {
  const path = deploymentPath(chainId, dir);
  if (!existsSync(path)) throw new DeploymentNotFoundError(chainId, path);
  return JSON.parse(readFileSync(path, "utf8")) as Deployment;
}
