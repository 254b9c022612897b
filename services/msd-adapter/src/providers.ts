import type { RoccRegion } from "./region.js";

/**
 * ROCC regions as synthetic records use them: how much of the programme's work
 * each carries (Eastern, where ROCC began, most) and providers working there.
 * The provider names are invented for synthetic data.
 */
export const ROCC_WEIGHTS: Record<RoccRegion, number> = {
  Eastern: 25,
  "Bay of Plenty": 20,
  Northland: 15,
  "Counties Manukau": 15,
  Porirua: 10,
  Southland: 10,
  "West Coast": 5,
};

export const PROVIDERS: Record<RoccRegion, readonly string[]> = {
  Eastern: ["Te Tairāwhiti Whānau Ora Alliance", "Heretaunga Rangatahi Trust", "Wairoa Community Navigators"],
  "Bay of Plenty": ["Whakatōhea Whānau Support Collective", "Eastern Bay Harm Reduction Service", "Kawerau Rangatahi Trust"],
  Northland: ["Te Hiku Iwi Provider Alliance", "Whangārei Whānau Navigators", "Kaikohe Recovery Service"],
  "Counties Manukau": ["Manurewa Rangatahi Trust", "South Auckland Pasifika Whānau Services", "Ōtara Reintegration Network"],
  Porirua: ["Porirua Whānau Centre", "Cannons Creek Community Trust"],
  Southland: ["Murihiku Whānau Ora Collective", "Mātaura Community Hub", "Gore Recovery Service"],
  "West Coast": ["Tai Poutini Whānau Navigators", "Māwhera Recovery Service"],
};
