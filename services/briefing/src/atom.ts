/**
 * Atom feeds (RFC 4287) of briefings: one per region and tier, an entry per
 * completed period. Every text is escaped for XML and stripped of characters
 * XML 1.0 cannot carry; ids are tag URIs (RFC 4151) that never change for a
 * (tier, region, period), so a feed reader shows each briefing once. Pure.
 */

export interface AtomEntry {
  id: string;
  title: string;
  /** The briefing's page. */
  link: string;
  updated: Date;
  /** Plain text (the figures as published). */
  content: string;
}

export interface AtomFeed {
  id: string;
  title: string;
  /** The feed's own URL. */
  self: string;
  /** The page the feed is of. */
  alternate: string;
  author: string;
  entries: AtomEntry[];
}

// XML 1.0 allows tab, LF, CR and U+0020 onwards, bar lone surrogates and U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text for XML content and attribute values. Pure. */
export function xml(value: unknown): string {
  return String(value)
    .replace(NOT_XML, "")
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A tag URI (RFC 4151) naming a briefing: tag:takitini.local,2026:briefing/<audience>/<region>/<period>. */
export function briefingTag(audience: string, region: string, period: string): string {
  return `tag:takitini.local,2026:briefing/${audience}/${region}/${period}`;
}

export function atomFeed(f: AtomFeed): string {
  const updated = f.entries.reduce((latest, e) => (e.updated > latest ? e.updated : latest), new Date(0));
  const entry = (e: AtomEntry) =>
    `<entry><id>${xml(e.id)}</id><title type="text">${xml(e.title)}</title><link rel="alternate" type="text/html" href="${xml(e.link)}"/><updated>${e.updated.toISOString()}</updated><content type="text">${xml(e.content)}</content></entry>`;
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">` +
    `<id>${xml(f.id)}</id><title type="text">${xml(f.title)}</title><updated>${updated.toISOString()}</updated>` +
    `<author><name>${xml(f.author)}</name></author>` +
    `<link rel="self" type="application/atom+xml" href="${xml(f.self)}"/><link rel="alternate" type="text/html" href="${xml(f.alternate)}"/>` +
    f.entries.map(entry).join("") +
    `</feed>\n`
  );
}
