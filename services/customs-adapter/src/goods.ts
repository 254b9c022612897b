import { Commodity, ConcealmentMethod } from "@takitini/proto";
import { z } from "zod";

/** What Customs seizes or suspects, as its records name it. */
export const COMMODITY = {
  methamphetamine: Commodity.COMMODITY_METHAMPHETAMINE,
  cocaine: Commodity.COMMODITY_COCAINE,
  mdma: Commodity.COMMODITY_MDMA,
  precursors: Commodity.COMMODITY_PRECURSORS,
  firearms: Commodity.COMMODITY_FIREARMS,
  counterfeit_goods: Commodity.COMMODITY_COUNTERFEIT_GOODS,
} as const;

export type CommodityName = keyof typeof COMMODITY;

export const commodity = z.enum(Object.keys(COMMODITY) as [CommodityName, ...CommodityName[]]);

/** How goods were hidden or moved across the border. */
export const CONCEALMENT = {
  air_cargo: ConcealmentMethod.CONCEALMENT_METHOD_AIR_CARGO,
  sea_container: ConcealmentMethod.CONCEALMENT_METHOD_SEA_CONTAINER,
  international_mail: ConcealmentMethod.CONCEALMENT_METHOD_INTERNATIONAL_MAIL,
  passenger_baggage: ConcealmentMethod.CONCEALMENT_METHOD_PASSENGER_BAGGAGE,
  body_concealment: ConcealmentMethod.CONCEALMENT_METHOD_BODY_CONCEALMENT,
  vessel: ConcealmentMethod.CONCEALMENT_METHOD_VESSEL,
  other: ConcealmentMethod.CONCEALMENT_METHOD_OTHER,
} as const;

export type ConcealmentName = keyof typeof CONCEALMENT;

export const concealment = z.enum(Object.keys(CONCEALMENT) as [ConcealmentName, ...ConcealmentName[]]);

/**
 * Where each commodity tends to come from (ISO 3166-1 alpha-2), weighted, for
 * synthetic data: North American and South-East Asian methamphetamine, South
 * American cocaine (often via the US or Australia), European MDMA, Chinese and
 * Indian precursors.
 */
export const ORIGINS: Record<CommodityName, { countries: readonly string[]; weights: readonly number[] }> = {
  methamphetamine: { countries: ["US", "CA", "MX", "MY", "TH", "CN", "ZA", "AU"], weights: [30, 15, 10, 12, 10, 8, 5, 10] },
  cocaine: { countries: ["US", "MX", "BR", "CO", "PE", "EC", "AU", "CL"], weights: [25, 15, 15, 12, 8, 10, 10, 5] },
  mdma: { countries: ["NL", "DE", "BE", "GB", "FR", "PL"], weights: [40, 20, 15, 12, 8, 5] },
  precursors: { countries: ["CN", "IN", "HK", "TW", "VN"], weights: [50, 20, 15, 10, 5] },
  firearms: { countries: ["US", "CN", "AU", "GB", "DE"], weights: [50, 25, 15, 5, 5] },
  counterfeit_goods: { countries: ["CN", "HK", "TR", "TH", "AE"], weights: [55, 20, 10, 10, 5] },
};
