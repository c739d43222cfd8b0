import { http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { describe, expect, it } from "vitest";
import { AccountRequiredError, createAccordClient, ResultKeyRequiredError } from "../client.ts";
import { generateResultKey } from "../seal/seal.ts";
import { ConfidenceUnreachableError } from "../trust/errors.ts";
import { estimateCost } from "./estimateCost.ts";
import { InvalidJobParametersError } from "./errors.ts";
import { offerOfRequest, submitJob } from "./submitJob.ts";

// Nothing answers on port 1: every check below must fail before the chain is asked anything.
const offline = { chain: hardhat, transport: http("http://127.0.0.1:1", { retryCount: 0 }), deployment: { chainId: 31337, jobMarket: "0x0000000000000000000000000000000000000001", token: "0x0000000000000000000000000000000000000002", startBlock: 0 } } as const;
const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const client = createAccordClient({ ...offline, account, resultKey: generateResultKey() });
const job = { module: new Uint8Array([0, 97, 115, 109]), replicas: 3, quorum: 2, maxPrice: 100n };

describe("submitJob checks its parameters before any transaction", () => {
  it.each([
    ["replicas", { replicas: 17 }],
    ["replicas", { replicas: 0 }],
    ["quorum", { quorum: 1 }],
    ["quorum", { quorum: 4 }],
    ["maxPrice", { maxPrice: 0n }],
    ["maxPrice", { maxPrice: 1n << 80n }],
    ["commitWindow", { commitWindow: 30 }],
    ["bidWindow", { bidWindow: 8 * 24 * 3600 }],
    ["minReputation", { minReputation: 10_001 }],
  ])("refuses a bad %s", async (field, bad) => {
    const err = await submitJob(client, { ...job, ...bad }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidJobParametersError);
    expect(err.field).toBe(field);
    expect(err.fix).toBeTruthy();
  });

  it("needs an account and a result key", async () => {
    await expect(submitJob(createAccordClient({ ...offline, resultKey: generateResultKey() }), job)).rejects.toBeInstanceOf(AccountRequiredError);
    await expect(submitJob(createAccordClient({ ...offline, account }), job)).rejects.toBeInstanceOf(ResultKeyRequiredError);
  });
});

describe("a confidence instead of replicas and quorum", () => {
  const { replicas: _k, quorum: _m, ...terms } = job;

  it("derives the cheapest replicas and quorum and posts those", () => {
    const { offer, plan } = offerOfRequest({ ...terms, confidence: 0.9999 });
    expect(offer).toMatchObject({ replicas: 4, quorum: 4, maxReplicas: 8, maxPrice: 100n });
    expect(plan).toMatchObject({ replicas: 4, quorum: 4, adversaryShare: 0.1 });
    expect(offerOfRequest({ ...terms, confidence: 0.9999, adversaryShare: 0.2 }).offer.replicas).toBe(6);
    expect(offerOfRequest(job)).toEqual({ offer: expect.objectContaining({ replicas: 3, quorum: 2 }), plan: undefined });
  });

  it.each([
    ["confidence", { confidence: 0.9999, replicas: 3 }],
    ["confidence", { confidence: 0.9999, quorum: 2 }],
    ["adversaryShare", { replicas: 3, adversaryShare: 0.2 }],
  ])("refuses both ways at once (%s), in submitJob and estimateCost, before the chain is asked", async (field, both) => {
    // JavaScript callers and front ends can pass both; the types forbid it.
    const posted = await submitJob(client, { ...terms, ...both } as never).catch((e) => e);
    expect(posted).toBeInstanceOf(InvalidJobParametersError);
    expect(posted.field).toBe(field);
    expect(posted.fix).toMatch(/`confidence`.*`replicas`/);
    const estimated = await estimateCost(client, { fuel: 1_000_000, ...both } as never).catch((e) => e);
    expect(estimated).toBeInstanceOf(InvalidJobParametersError);
    expect(estimated.field).toBe(field);
  });

  it("refuses a confidence no job reaches, saying what to lower", async () => {
    const err = await submitJob(client, { ...terms, confidence: 0.9999, adversaryShare: 0.7 }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfidenceUnreachableError);
    expect(err.fix).toMatch(/^Lower `confidence` to at most 0\.99\d*, or guard against a smaller `adversaryShare` \(at most 0\.56 for this confidence\)\.$/);
    await expect(estimateCost(client, { fuel: 1_000_000, confidence: 0.9999, adversaryShare: 0.7 })).rejects.toBeInstanceOf(ConfidenceUnreachableError);
  });
});
