import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { atomFeed, briefingTag, xml } from "./atom.js";

const feed = (entries: Parameters<typeof atomFeed>[0]["entries"]) =>
  atomFeed({ id: briefingTag("public", "eastern", "feed"), title: "Public briefings: Eastern", self: "https://b.example/public/eastern/feed.atom", alternate: "https://b.example/public/eastern", author: "Takitini community briefings", entries });

const entry = (period: string, updated: string, content = "Figures") => ({ id: briefingTag("public", "eastern", period), title: `Eastern, ${period}`, link: `https://b.example/public/eastern?quarter=${period}`, updated: new Date(updated), content });

describe("Atom feeds", () => {
  it("are well-formed RFC 4287: feed id, title, updated (the latest entry's), author, self link, and entries with id, link, updated", () => {
    const text = feed([entry("2026-Q3", "2026-09-28T00:00:00Z"), entry("2026-Q2", "2026-06-29T00:00:00Z")]);
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" }).parse(text).feed;
    expect(doc["@xmlns"]).toBe("http://www.w3.org/2005/Atom");
    expect(doc.id).toBe("tag:takitini.local,2026:briefing/public/eastern/feed");
    expect(doc.updated).toBe("2026-09-28T00:00:00.000Z");
    expect(doc.author.name).toBe("Takitini community briefings");
    expect(doc.link.map((l: Record<string, string>) => [l["@rel"], l["@href"]])).toEqual([["self", "https://b.example/public/eastern/feed.atom"], ["alternate", "https://b.example/public/eastern"]]);
    expect(doc.entry).toHaveLength(2);
    expect(doc.entry[0]).toMatchObject({ id: "tag:takitini.local,2026:briefing/public/eastern/2026-Q3", updated: "2026-09-28T00:00:00.000Z", link: { "@rel": "alternate", "@href": "https://b.example/public/eastern?quarter=2026-Q3" } });
  });

  it("escape markup and drop characters XML cannot hold, so any text leaves the document well-formed and reads back the same", () => {
    const hostile = `<script>alert("x")</script> & ]]> 'q' \u0000\u0007\u001b\uFFFE\uD800 kept: ā ō 🙂`;
    const text = feed([{ ...entry("2026-Q3", "2026-09-28T00:00:00Z", hostile), title: hostile, link: `https://b.example/?a=1&b="2"` }]);
    expect(XMLValidator.validate(text)).toBe(true);
    expect(text).not.toContain("<script>");
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", processEntities: true, htmlEntities: false }).parse(text).feed;
    expect(doc.entry.content["#text"]).toBe(`<script>alert("x")</script> & ]]> 'q'  kept: ā ō 🙂`);
    expect(xml("a\u0000b")).toBe("ab");
  });

  it("with no entries, still a valid feed (updated at the epoch)", () => {
    const text = feed([]);
    expect(XMLValidator.validate(text)).toBe(true);
    expect(text).toContain("<updated>1970-01-01T00:00:00.000Z</updated>");
  });
});
