import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SecretFileError, SecretFileExistsError } from "./errors.ts";
import { createSecretFile, readSecretFile } from "./secret-file.ts";

const dir = mkdtempSync(join(tmpdir(), "accord-secret-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("secret files", () => {
  it("are created owner-only, exactly 0600 whatever the umask, in a new folder, with nothing left beside them", () => {
    // A permissive umask must not widen the file, a strict one not leave it unwritable by its owner.
    for (const [i, mask] of [0o000, 0o277].entries()) {
      const path = join(dir, `new-${i}`, "a.key");
      // Under the strict umask the folder would be unwritable to a non-root owner: made first.
      if (mask) mkdirSync(dirname(path));
      const umask = process.umask(mask);
      try {
        createSecretFile(path, "secret\n");
      } finally {
        process.umask(umask);
      }
      expect(statSync(path).mode & 0o777, mask.toString(8)).toBe(0o600);
      expect(readFileSync(path, "utf8")).toBe("secret\n");
      expect(readdirSync(join(dir, `new-${i}`))).toEqual(["a.key"]);
      expect(readSecretFile(path, "key file")).toBe("secret");
    }
  });

  it("are never overwritten", () => {
    const path = join(dir, "b.key");
    createSecretFile(path, "first\n");
    expect(() => createSecretFile(path, "second\n")).toThrow(SecretFileExistsError);
    expect(readFileSync(path, "utf8")).toBe("first\n");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("are refused when the group or others can read them, with the chmod that fixes it", () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      const path = join(dir, `open-${mode.toString(8)}.key`);
      writeFileSync(path, "secret\n");
      chmodSync(path, mode);
      let err: SecretFileError | undefined;
      try {
        readSecretFile(path, "result key", { why: "it opens your results" });
      } catch (e) {
        err = e as SecretFileError;
      }
      expect(err, mode.toString(8)).toBeInstanceOf(SecretFileError);
      expect(err!.shortMessage).toBe(`The result key ${path} can be read by other users (mode ${mode.toString(8)}).`);
      expect(err!.fix).toContain(`\`chmod 600 ${path}\`: it opens your results`);
      expect(err!.message).not.toContain("secret\n");
      chmodSync(path, 0o600);
      expect(readSecretFile(path, "result key")).toBe("secret");
    }
    // Owner read-only is as good as 0600.
    const readOnly = join(dir, "ro.key");
    writeFileSync(readOnly, "x");
    chmodSync(readOnly, 0o400);
    expect(readSecretFile(readOnly)).toBe("x");
  });

  it("say so when they do not exist", () => {
    expect(() => readSecretFile(join(dir, "none.key"), "key file")).toThrow(/The key file .*none.key does not exist/);
  });
});
