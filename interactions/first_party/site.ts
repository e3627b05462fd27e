/**
 * A part of the product that is a relying party of this provider, signed in to like any app: the
 * company admin console (/admin) and the user's Password & Security page (/account). Each has its
 * client, its path and its own session cookie; the plumbing in this folder serves both.
 */
export interface FirstPartySite {
  /** `/admin`: every page, the callback and the cookie live under it. */
  basePath: string;
  clientId: string;
  clientName: string;
  /** The session cookie's name (path `basePath`). */
  cookie: string;
  /** Prefix of the session records' keys in the store. */
  storeKey: string;
  /** Must the sign-in carry the multi-factor acr? (the console: yes; Password & Security: no, it is where one enrolls) */
  requireMfa: boolean;
  /** How the site names itself in messages ("the admin console"). */
  label: string;
}
