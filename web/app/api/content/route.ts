import { decodeManifest } from "@accord/client/manifest";
import { appConfig } from "@/lib/config.ts";
import { announce, contentNode } from "@/lib/server/content.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";

export const dynamic = "force-dynamic";

export type UploadedFile = { field: string; name: string; size: number; cid: string };

/**
 * Adds the posted files to the server's content node, pins them and announces them in the DHT,
 * so providers can fetch a job's module, inputs and manifest from this server. A part named
 * "manifest" must be a canonical manifest: the server refuses to pin a manifest no provider would accept.
 */
export const POST = route(async (req: Request) => {
  const cfg = appConfig();
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > cfg.maxUploadRequestBytes)
    throw new BadRequestError(`The upload is ${length} bytes, more than the ${cfg.maxUploadRequestBytes} this server takes at once.`, "Upload fewer or smaller files.", 413);
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    throw new BadRequestError("The upload is not multipart form data.", "Send the files as multipart/form-data.");
  }
  const files = [...form.entries()].filter((e): e is [string, File] => typeof e[1] !== "string");
  if (!files.length) throw new BadRequestError("The upload holds no files.", "Choose at least one file.");
  for (const [field, file] of files)
    if (file.size > cfg.maxUploadFileBytes)
      throw new BadRequestError(`"${file.name}" is ${file.size} bytes, more than the ${cfg.maxUploadFileBytes} allowed per file.`, "Use a smaller file, or post the job with the CLI (`accord job submit`), which serves its files from your own node.", 413);
  const node = await contentNode();
  const out: UploadedFile[] = [];
  for (const [field, file] of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (field === "manifest") {
      try {
        decodeManifest(bytes);
      } catch (err) {
        throw new BadRequestError(`The manifest was refused: ${(err as Error).message}`, "Build the manifest with encodeManifest from @accord/client/manifest.");
      }
    }
    const cid = await node.content.add(bytes, { pin: true });
    announce(node, cid);
    out.push({ field, name: file.name, size: file.size, cid: cid.toString() });
  }
  return json(out);
});
