// How the inbox writes a customer's WhatsApp address. A customer who adopted a WhatsApp username
// may write with no number at all (Meta then shares only a business-scoped user id, BSUID): the
// inbox shows their username, or the BSUID when they have no username either.

export interface CustomerIds {
  phone: string | null;
  username: string | null;
  userId: string | null;
}

/** `@name` for a username, whether or not WhatsApp wrote the `@`. */
export function atUsername(username: string): string {
  const u = username.trim();
  return u.startsWith('@') ? u : `@${u}`;
}

/** The number, else the @username, else the BSUID ('' when none is known). */
export function customerHandle(c: CustomerIds): string {
  if (c.phone?.trim()) return c.phone.trim();
  if (c.username?.trim()) return atUsername(c.username);
  return c.userId?.trim() ?? '';
}

/** Known only by username/BSUID: there is no number to call or to find them by. */
export function withoutNumber(c: CustomerIds): boolean {
  return !c.phone?.trim() && Boolean(c.username?.trim() || c.userId?.trim());
}
