/**
 * Other spellings of a request path that a router might serve as the same
 * route: each character of the first segments percent-encoded (upper and lower
 * case hex), the whole path encoded, `%2F` for a slash, doubled slashes, dot
 * segments (plain and encoded), mixed case and a trailing slash. For sweeps that
 * prove a door's authentication is attached to its routes, never decided by
 * matching the URL's text. Pure; the query string is kept as given.
 */
export function pathVariants(pathWithQuery: string): string[] {
  const q = pathWithQuery.indexOf("?");
  const path = q < 0 ? pathWithQuery : pathWithQuery.slice(0, q);
  const query = q < 0 ? "" : pathWithQuery.slice(q);
  const segments = path.split("/").slice(1);
  const enc = (c: string, lower = false) => {
    const hex = c.charCodeAt(0).toString(16).padStart(2, "0");
    return `%${lower ? hex : hex.toUpperCase()}`;
  };
  const out = new Set<string>();
  // One character encoded at a time, in the first two segments.
  segments.slice(0, 2).forEach((seg, i) => {
    for (let j = 0; j < seg.length; j++) {
      for (const lower of [false, true]) {
        const s = [...segments];
        s[i] = seg.slice(0, j) + enc(seg[j]!, lower) + seg.slice(j + 1);
        out.add(`/${s.join("/")}`);
      }
    }
  });
  // Every character encoded.
  out.add(`/${segments.map((s) => [...s].map((c) => enc(c)).join("")).join("/")}`);
  // Slashes as %2F / %2f, doubled, and dot segments.
  out.add(`/${segments.join("%2F")}`);
  out.add(`/${segments.join("%2f")}`);
  out.add(`//${segments.join("//")}`);
  out.add(`/./${segments.join("/")}`);
  out.add(`/x/../${segments.join("/")}`);
  out.add(`/%2e/${segments.join("/")}`);
  out.add(`/x/%2e%2e/${segments.join("/")}`);
  // Case and a trailing slash.
  out.add(path.toUpperCase());
  out.add(`/${segments.map((s) => (s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s)).join("/")}`);
  out.add(`${path}/`);
  out.delete(path);
  return [...out].map((p) => p + query);
}

/**
 * Every route of a fastify app as `{ method, url }`, read from the router's own
 * table (`app.printRoutes({ commonPrefix: false })`: one path piece per node,
 * children under their parent, methods in parentheses), so a sweep covers a
 * route added later without being told. Pure.
 */
export function routerTable(printed: string): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of printed.split("\n")) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (stack[depth - 1] ?? "") + m[2]!;
    stack.length = depth;
    stack.push(path);
    for (const method of m[3]?.split(", ") ?? []) out.push({ method, url: path });
  }
  return out;
}
