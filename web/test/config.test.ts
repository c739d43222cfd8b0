// The web server reads its ACCORD_* settings through the library's rule set, as the CLI and the
// provider daemon do: same schemas, same errors naming the variable and what to set it to.
import { InvalidSettingError } from "@accord/client/config";
import { describe, expect, it } from "vitest";
import { appConfig } from "../lib/config.ts";

describe("the web server's configuration", () => {
  it("takes the environment over the defaults, and an empty variable as unset", () => {
    const d = appConfig({ ACCORD_RPC_URL: "" });
    expect(d).toMatchObject({ rpcUrl: "http://127.0.0.1:8545", publicRpcUrl: "http://127.0.0.1:8545", dataDir: ".accord/web", listen: ["/ip4/127.0.0.1/tcp/0"], confirmations: 0 });
    expect(d.explorerUrl).toBeUndefined();
    const c = appConfig({ ACCORD_RPC_URL: "http://10.0.0.2:8545", ACCORD_WEB_LISTEN: "/ip4/0.0.0.0/tcp/4010, /ip4/0.0.0.0/tcp/4011", ACCORD_CONFIRMATIONS: "3", ACCORD_CHAIN_NAME: "Testnet" });
    expect(c).toMatchObject({ rpcUrl: "http://10.0.0.2:8545", publicRpcUrl: "http://10.0.0.2:8545", listen: ["/ip4/0.0.0.0/tcp/4010", "/ip4/0.0.0.0/tcp/4011"], confirmations: 3, chainName: "Testnet" });
    // The upload limits are the server's own, not settings.
    expect(c.maxUploadFileBytes).toBe(64 * 1024 * 1024);
  });

  it("refuses a bad value, naming the variable and what it must be", () => {
    const bad = (env: Record<string, string>) => {
      try {
        appConfig(env);
      } catch (err) {
        return err as InvalidSettingError;
      }
      throw new Error("accepted");
    };
    expect(bad({ ACCORD_CONFIRMATIONS: "-1" }).shortMessage).toBe('ACCORD_CONFIRMATIONS must be a whole non-negative number, not "-1".');
    expect(bad({ ACCORD_RPC_URL: "127.0.0.1:8545" })).toBeInstanceOf(InvalidSettingError);
    expect(bad({ ACCORD_EXPLORER_URL: "etherscan.io" }).fix).toBe("Set ACCORD_EXPLORER_URL to a valid value, or unset it.");
  });
});
