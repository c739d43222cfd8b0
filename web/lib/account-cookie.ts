/**
 * How the server knows whose "My jobs" to render before the wallet has reconnected in the
 * browser. The account page itself takes the address from its URL (/accounts/0x…, a public page
 * anyone can link, as on a block explorer), so it is rendered with its data on the server like
 * every other page. /me ("My jobs") only needs to know which account page to send the browser to:
 * the browser remembers the connected wallet's address in this cookie, and the server answers
 * /me with a redirect to that address's page. The address is public and only picks a public page,
 * so a stale or forged cookie shows nothing private; the account page offers the wallet's own
 * account when the two differ. Without the cookie (first visit, cookies off) /me waits for the
 * wallet in the browser and navigates there, as before.
 */
export const ACCOUNT_COOKIE = "accord.account";
/** As long-lived as the wallet's own "reconnect on load" flag, which never expires. */
export const ACCOUNT_COOKIE_MAX_AGE_S = 365 * 24 * 3600;
/** Marks an account page reached through "My jobs": it follows the wallet to its own account. */
export const FROM_ME = "me";
