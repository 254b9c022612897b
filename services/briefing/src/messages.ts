import { readFileSync } from "node:fs";

/**
 * The pages' words in each language, from the catalogues in `locales/`
 * (`en.json`, `mi.json`: one key → text, or → a list of paragraphs; `{name}`
 * marks a value put in). A translator edits those files, never code. A key a
 * catalogue lacks, or a value a text asks for and is not given, throws
 * `MessageMissing`: nothing falls back to English in silence. Pure, but for
 * reading the two catalogues once at load.
 */

export const LANGS = ["en", "mi"] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = "en";
/** What `<html lang>` (and `hreflang`) says for each language. */
export const HTML_LANG: Record<Lang, string> = { en: "en-NZ", mi: "mi" };
/** The cookie that keeps a reader's choice. */
export const LANG_COOKIE = "lang";

export type Catalogue = Readonly<Record<string, string | readonly string[]>>;

export class MessageMissing extends Error {
  readonly code = "MESSAGE_MISSING";
  constructor(
    readonly lang: string,
    readonly key: string,
    detail: string,
  ) {
    super(`${lang} catalogue: ${key}: ${detail}`);
  }
}

export function isLang(x: unknown): x is Lang {
  return typeof x === "string" && (LANGS as readonly string[]).includes(x);
}

function read(lang: Lang): Catalogue {
  const parsed: unknown = JSON.parse(readFileSync(new URL(`../locales/${lang}.json`, import.meta.url), "utf8"));
  return checkCatalogue(lang, parsed);
}

/** A catalogue as a translator may write it: an object of strings and lists of strings. */
export function checkCatalogue(lang: string, parsed: unknown): Catalogue {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new MessageMissing(lang, "(root)", "expected an object of key → text");
  for (const [key, value] of Object.entries(parsed)) {
    const ok = typeof value === "string" ? value.length > 0 : Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v.length > 0);
    if (!ok) throw new MessageMissing(lang, key, "expected a non-empty text or a non-empty list of texts");
  }
  return parsed as Catalogue;
}

export const CATALOGUES: Readonly<Record<Lang, Catalogue>> = { en: read("en"), mi: read("mi") };

/** The names a text asks for, e.g. "{region} in {when}" → ["region", "when"]. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]!);
}

export type Params = Record<string, string | number>;

export interface Messages {
  lang: Lang;
  /** One text, with its values put in. */
  t(key: string, params?: Params): string;
  /** A list of paragraphs. */
  list(key: string): string[];
  /** Whether the catalogue holds a key (for codes that come from data, e.g. a category no text names yet). */
  has(key: string): boolean;
}

export function messages(lang: Lang, catalogue: Catalogue = CATALOGUES[lang]): Messages {
  return {
    lang,
    has: (key) => Object.hasOwn(catalogue, key),
    t(key, params = {}) {
      const text = catalogue[key];
      if (typeof text !== "string") throw new MessageMissing(lang, key, text === undefined ? "no such key" : "is a list, not a text");
      return text.replace(/\{([a-zA-Z]+)\}/g, (_m, name: string) => {
        const v = params[name];
        if (v === undefined) throw new MessageMissing(lang, key, `no value for {${name}}`);
        return String(v);
      });
    },
    list(key) {
      const texts = catalogue[key];
      if (!Array.isArray(texts)) throw new MessageMissing(lang, key, texts === undefined ? "no such key" : "is a text, not a list");
      return [...(texts as readonly string[])];
    },
  };
}

export const ENGLISH = messages("en");

/**
 * The reader's language: `?lang=` first, then the `lang` cookie, then the
 * browser's Accept-Language (by its q values), else English.
 */
export function negotiateLang(o: { query?: unknown; cookie?: string | undefined; acceptLanguage?: string | undefined }): Lang {
  if (isLang(o.query)) return o.query;
  if (isLang(o.cookie)) return o.cookie;
  const ranked = (o.acceptLanguage ?? "")
    .split(",")
    .map((part, i) => {
      const [tag = "", ...rest] = part.trim().split(";");
      const q = rest.map((r) => /^\s*q=([01](?:\.\d{1,3})?)\s*$/.exec(r)?.[1]).find((x) => x !== undefined);
      return { base: tag.trim().toLowerCase().split("-")[0] ?? "", q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.map((x) => x.base).find(isLang) ?? DEFAULT_LANG;
}

/** `path` with `lang=` set (replacing any), so a link keeps the reader's language. */
export function withLang(path: string, lang: Lang): string {
  const [base = "", query = ""] = path.split("?", 2);
  const params = new URLSearchParams(query);
  params.set("lang", lang);
  return `${base}?${params.toString()}`;
}
