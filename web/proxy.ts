import { NextResponse, type NextRequest } from "next/server";
import { ACCOUNT_COOKIE, FROM_ME } from "./lib/account-cookie.ts";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * "My jobs" (/me) for a browser that remembers its wallet's address (lib/account-cookie.ts): a
 * redirect to that account's page, which the server renders with its data. Done here, before
 * rendering, so it is a plain 307: a redirect thrown while the page streams (the root
 * loading.tsx sends a shell first) would arrive as a refresh inside a 200.
 */
export function proxy(request: NextRequest) {
  const remembered = request.cookies.get(ACCOUNT_COOKIE)?.value;
  if (!remembered || !ADDRESS.test(remembered)) return NextResponse.next();
  return NextResponse.redirect(new URL(`/accounts/${remembered}?from=${FROM_ME}`, request.url));
}

export const config = { matcher: "/me" };
