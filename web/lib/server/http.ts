import { BaseError } from "@accord/client/errors";
import type { ApiError } from "../types.ts";
import { ChainUnreachableError } from "./context.ts";
import { IndexNotReadyError } from "./market.ts";

/** Bad input from the browser: answered 400 with what was wrong and what to do. */
export class BadRequestError extends BaseError {
  override name = "BadRequestError";
  status: number;
  constructor(message: string, fix: string, status = 400) {
    super(message, { fix });
    this.status = status;
  }
}

export function json(data: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(data, (_, v) => (typeof v === "bigint" ? v.toString() : v)), {
    ...init,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...init.headers },
  });
}

/** Every route's error answer: the short message, what to do, and a status that says whose fault it is. */
export function errorResponse(err: unknown): Response {
  const body: ApiError = { error: "The server failed to answer." };
  let status = 500;
  if (err instanceof BaseError) {
    body.error = err.shortMessage;
    body.fix = err.fix;
    body.details = err.details;
    if (err instanceof BadRequestError) status = err.status;
    else if (err instanceof ChainUnreachableError) status = 503;
    else if (err.name === "DeploymentNotFoundError") status = 503;
    else if (err.name === "ContentNotFoundError") status = 504;
  } else if (err instanceof IndexNotReadyError) {
    body.error = err.message;
    body.fix = "Wait a few seconds and reload.";
    status = 503;
  } else {
    console.error("accord-web:", err);
    body.details = (err as Error)?.message;
  }
  return json(body, { status });
}

/** Wraps a route handler so that every failure becomes a JSON error. */
export function route<A extends unknown[]>(fn: (...args: A) => Promise<Response>) {
  return async (...args: A): Promise<Response> => {
    try {
      return await fn(...args);
    } catch (err) {
      return errorResponse(err);
    }
  };
}
