import { positiveInt } from "../../jobSpec.ts";
import type { CommandContext } from "../context.ts";
import { parseId } from "./args.ts";
import { awaitAndWrite } from "./awaitResult.ts";

/** `accord job result <jobId>` */
export default async function result(ctx: CommandContext, id: string, o: { out: string; timeout?: string }): Promise<void> {
  const client = await ctx.client({ withNode: true, withKey: true });
  await awaitAndWrite(ctx, client, parseId(id), undefined, o.out, positiveInt(o.timeout, "--timeout"));
}
