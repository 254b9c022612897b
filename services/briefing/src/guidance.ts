/**
 * The plain-language part of each briefing section (June 2025 report §58–62):
 * what drives the harm, how to spot it, and who to tell and how. Written for a
 * community reader, not an analyst. Static text: no figures, no places, no names.
 */

export interface Contact {
  label: string;
  how: string;
}

export interface Guidance {
  drivers: string[];
  watchFor: string[];
  report: Contact[];
}

const EMERGENCY: Contact = { label: "Someone is in danger right now", how: "Call 111 and ask for Police." };
const POLICE: Contact = { label: "Police (not an emergency)", how: "Call 105 or report online at 105.police.govt.nz." };
const CRIMESTOPPERS: Contact = { label: "Tell someone anonymously", how: "Crimestoppers: 0800 555 111 or crimestoppers-nz.org. You do not have to give your name." };

export const GUIDANCE: Record<"drugs" | "exploitation" | "fraud" | "support" | "operations", Guidance> = {
  drugs: {
    drivers: [
      "Organised groups make money by supplying methamphetamine and other drugs into towns where demand is steady and policing is thin.",
      "Demand is driven by addiction, and by people under stress — debt, unemployment, grief — being targeted by dealers.",
      "Every sale funds the group, so fewer customers means less money and less harm.",
    ],
    watchFor: [
      "Frequent short visits to a house at all hours, or cars that stop for a minute and leave.",
      "Strong chemical smells (like cat urine or solvent), blacked-out windows, or rubbish with many empty chemical containers.",
      "Young people suddenly with cash, new phones or cars, or being asked to hold or carry packages.",
      "Firearms being shown off or talked about, or guns being moved in and out of a property.",
    ],
    report: [
      EMERGENCY,
      POLICE,
      CRIMESTOPPERS,
      { label: "Help for someone using drugs", how: "Alcohol Drug Helpline: 0800 787 797 or text 8681 (free, confidential, any time)." },
    ],
  },
  exploitation: {
    drivers: [
      "Some employers and recruiters profit from migrant workers who depend on them for a visa, housing and transport, and may not know their rights.",
      "Long subcontracting chains make it easy to hide who is really paying — and not paying — the workers.",
    ],
    watchFor: [
      "Workers who had to pay a fee to get the job, here or overseas.",
      "Unpaid, late or cash-only wages, or pay far below the minimum wage.",
      "An employer holding workers' passports or visas.",
      "Very long hours, no days off, or workers crowded into housing the employer provides and charges for.",
      "Workers who seem afraid to talk, or are always driven to and from work by the same person.",
    ],
    report: [
      EMERGENCY,
      { label: "Report migrant exploitation", how: "Employment New Zealand: 0800 20 90 20 or the online form at employment.govt.nz. You can report anonymously; a worker's visa is not cancelled for reporting." },
      CRIMESTOPPERS,
    ],
  },
  fraud: {
    drivers: [
      "Scammers work at scale from anywhere: a few replies from thousands of messages pay for the whole operation.",
      "Older people, new arrivals and people who are lonely or under money pressure are targeted most.",
    ],
    watchFor: [
      "Pressure to act now: a bill, a parcel, a tax refund or a 'problem with your account' that needs payment or your bank details today.",
      "Someone met online who soon needs money, or an investment that promises high returns with no risk.",
      "Requests to pay by gift card, cryptocurrency or money transfer to a stranger.",
      "A friend or relative who has become secretive about a new online contact or is sending them money.",
    ],
    report: [
      { label: "Money already sent", how: "Call your bank straight away — they may be able to stop the payment." },
      { label: "Report a scam", how: "Report online scams at ownyouronline.govt.nz (0800 2378 69), or Netsafe: 0508 638 723." },
      POLICE,
    ],
  },
  support: {
    drivers: [
      "When gangs and drug supply take hold, whānau carry the cost: addiction, debt, violence and children left without stable care.",
      "Support that reaches whānau early — treatment, mentoring for rangatahi, help to navigate services — shrinks the customer base organised crime depends on.",
    ],
    watchFor: [
      "Whānau who have lost a parent or provider to arrest or imprisonment and are struggling with rent, food or school.",
      "Rangatahi drifting away from school or whānau, or being recruited by older gang members.",
      "People leaving prison without housing, work or support.",
    ],
    report: [
      { label: "Get support for whānau", how: "Work and Income: 0800 559 009, or ask your local provider about the Community Resilience and Whānau Support Fund." },
      { label: "Need to talk", how: "Call or text 1737 (free, any time)." },
      { label: "A child is unsafe", how: "Oranga Tamariki: 0508 326 459 — or 111 if they are in danger now." },
    ],
  },
  operations: {
    drivers: [
      "When an operation removes a group's leaders (Clear), the aim is to stop others moving in (Hold) and to rebuild (Build) — and that needs the community.",
      "Arrests can leave families and children without income or care: support notices tell local providers what help is needed so no child is left to fend alone.",
    ],
    watchFor: [
      "Families affected by arrests who need food, housing, school or counselling support.",
      "New faces trying to take over the supply or the gang's patch after an operation.",
    ],
    report: [EMERGENCY, POLICE, CRIMESTOPPERS],
  },
};

/** Readable names of the codes the mesh counts by. */
export const LABELS: Record<string, string> = {
  methamphetamine: "Methamphetamine",
  cocaine: "Cocaine",
  mdma: "MDMA (ecstasy)",
  precursors: "Precursor chemicals",
  firearms: "Firearms",
  counterfeit_goods: "Counterfeit goods",
  other_drugs: "Other drugs and precursors",
  other_goods: "Firearms and other goods",
  horticulture: "Horticulture",
  construction: "Construction",
  hospitality: "Hospitality",
  beauty_services: "Beauty services",
  agriculture: "Agriculture",
  cleaning: "Cleaning",
  retail: "Retail",
  other: "Other",
  addiction_treatment: "Drug and alcohol treatment",
  whanau_navigation: "Whānau navigation",
  rangatahi_mentoring: "Rangatahi mentoring",
  reintegration: "Reintegration after prison",
  harm_reduction: "Harm reduction",
  "": "All",
};

export const label = (code: string) => LABELS[code] ?? code.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

/** What each support service is, for the "services available" list. */
export const SERVICE_DESCRIPTIONS: Record<string, string> = {
  addiction_treatment: "Help to stop or cut down drug and alcohol use, with counselling and treatment.",
  whanau_navigation: "A navigator who works alongside whānau to reach the housing, income, health and school support they need.",
  rangatahi_mentoring: "Mentors for young people, to keep them at school, in work and away from gangs.",
  reintegration: "Support for people leaving prison: housing, work and reconnecting with whānau.",
  harm_reduction: "Practical help to reduce the harm of drug use, without judgement.",
};
