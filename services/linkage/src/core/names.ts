/**
 * Name pools for the synthetic population (synthetic.ts): names common in New
 * Zealand's communities, written as the communities write them (macrons,
 * ʻokina, hyphens). Not real people: a name is drawn from a first-name pool and
 * a family-name pool independently.
 *
 * The generator's ground truth relies on every combination of a culture's
 * first name, optional middle name and family name — and every alias —
 * normalising to a key no other combination of any culture has (names.test.ts
 * checks all of them), so that two synthetic people share a name only where the
 * generator means them to.
 */
export interface Culture {
  readonly name: string;
  /** Share of the population, in hundredths (the shares sum to 100). */
  readonly share: number;
  readonly firsts: readonly string[];
  readonly middles: readonly string[];
  readonly surnames: readonly string[];
  /**
   * The other first name a person goes by, by first name (Wiremu → William;
   * a Chinese given name → an English one): written with the family name, an
   * alias. Injective within the culture.
   */
  readonly aliasFirsts: Readonly<Record<string, string>>;
  /** Passport issuing country (alpha-3) of those not holding a NZ passport; undefined: NZ passports. */
  readonly foreignPassport: string | undefined;
  /** Whether some hold NZ visas (migrant communities). */
  readonly visas: boolean;
}

export const CULTURES: readonly Culture[] = [
  {
    name: "Pākehā",
    share: 44,
    firsts: [
      "Oliver", "Jack", "Noah", "Leo", "George", "Charlie", "Harry", "Lucas", "Mason", "Hunter",
      "Liam", "Arlo", "Theodore", "Hudson", "Max", "Archie", "Oscar", "Finn", "Henry", "Samuel",
      "Benjamin", "Cooper", "Ethan", "Jacob", "Luke", "Ryan", "Blake", "Connor", "Dylan", "Jordan",
      "Nathan", "Scott", "Shane", "Craig", "Wayne", "Brent", "Grant", "Gavin", "Graeme", "Kevin",
      "Amelia", "Isla", "Charlotte", "Olivia", "Mia", "Harper", "Ava", "Sophie", "Ruby", "Evie",
      "Lily", "Ella", "Grace", "Zoe", "Hazel", "Willow", "Emily", "Hannah", "Chloe", "Jessica",
      "Sarah", "Rachel", "Rebecca", "Kirsty", "Nicola", "Joanne", "Michelle", "Karen", "Sharon", "Debbie",
      "Tracey", "Leanne", "Megan", "Stacey", "Kylie", "Amber", "Brooke", "Courtney", "Paige", "Tayla",
    ],
    middles: ["Alexander", "Edward", "Francis", "Gordon", "Howard", "Ivan", "Keith", "Lloyd", "Neville", "Roland", "Anne", "Beatrice", "Claire", "Dawn", "Elaine", "Fay", "Gail", "Irene", "Lorraine", "Maureen"],
    surnames: [
      "Smith", "Williams", "Brown", "Wilson", "Taylor", "Jones", "Anderson", "Thompson", "Walker", "White",
      "Harris", "Martin", "Clark", "Robinson", "Wright", "Mitchell", "Campbell", "Stewart", "Murray", "Scott-Kerr",
      "Young", "Hall", "King", "Hughes", "Wood", "Jackson", "Turner", "Green", "Baker", "Cooke",
      "Morris", "Marshall", "Kelly", "Ward", "Hunt", "Bell", "Fraser", "Ross", "McDonald", "McKenzie",
      "O'Brien", "O'Connor", "Sullivan", "Graham", "Reid", "Kennedy", "Gray", "Bennett", "Simpson", "Richardson",
      "Harvey", "Shaw", "Black", "Miller", "Davidson", "Hamilton", "Carter", "Russell", "Patterson", "Henderson",
      "Johnston", "Lawrence", "Chapman", "Wallace", "Fletcher", "Dixon", "Hayes", "Knight", "Cunningham", "Sinclair",
      "Barrett", "Burgess", "Cameron", "Donaldson", "Elliott", "Ferguson", "Gibson", "Hargreaves", "Irvine", "Jamieson",
    ],
    aliasFirsts: {},
    foreignPassport: undefined,
    visas: false,
  },
  {
    name: "Māori",
    share: 17,
    firsts: [
      "Aroha", "Hēmi", "Tāmati", "Wiremu", "Mere", "Hone", "Rāwiri", "Pita", "Hohepa", "Mikaere",
      "Anaru", "Matiu", "Tipene", "Rapata", "Ihaia", "Hēni", "Mereana", "Rīhari", "Hāmiora", "Pāora",
      "Tīmoti", "Manaia", "Kahurangi", "Anahera", "Hinemoa", "Ngaio", "Tūī", "Huia", "Kiri", "Mataroa",
      "Nikau", "Rangimārie", "Tamati-Ariki", "Wairua", "Kauri", "Tāne", "Kōwhai", "Māia", "Ātaahua", "Rēhua",
    ],
    middles: ["Arapeta", "Karauria", "Marino", "Ngahuia", "Pererika", "Raukura", "Taiaroa", "Whetū", "Heremaia", "Iwikau"],
    surnames: [
      "Ngata", "Parata", "Tāwhiri", "Te Whiu", "Horomona", "Karaka", "Rangihuna", "Paewai", "Tūhiwai", "Hēnare",
      "Pōmare", "Rēweti", "Tamihana", "Wīremu", "Te Rangi-Hetaraka", "Kereama", "Mōhi", "Poutama", "Tūrei", "Waititi",
      "Tapsell", "Hapeta", "Kīngi", "Maihi", "Ngāpō", "Ōrupe", "Pōtae", "Rōpata", "Tautahi", "Whaanga",
      "Te Ao", "Tūhoro", "Manuera", "Nikora", "Piripi", "Rāwiri-Tūhoe", "Tihema", "Waaka", "Hīroti", "Kōhere",
    ],
    aliasFirsts: {
      Hēmi: "James", Tāmati: "Thomas", Wiremu: "William", Mere: "Mary", Hone: "John", Rāwiri: "David", Pita: "Peter", Hohepa: "Joseph",
      Mikaere: "Michael", Anaru: "Andrew", Matiu: "Matthew", Tipene: "Stephen", Rapata: "Robert", Ihaia: "Isaiah", Hēni: "Jane",
      Mereana: "Marianne", Rīhari: "Richard", Hāmiora: "Samuel", Pāora: "Paul", Tīmoti: "Timothy",
    },
    foreignPassport: undefined,
    visas: false,
  },
  {
    name: "Samoan",
    share: 8,
    firsts: ["Tavita", "Ioane", "Losa", "Malia", "Sefo", "Lagi", "Tusi", "Fetu", "Iosefa", "Sina", "Falani", "Leota-Ana", "Mikaele", "Savea", "Luamanu", "Tasi", "Elisapeta", "Faʻaola", "Vaʻelua", "Pouono"],
    middles: ["Afamasaga", "Lemalu", "Taliaoa", "Ulugia", "Fuimaono", "Tauiliili"],
    surnames: ["Faʻamausili", "Leota", "Tuilagi", "Sapolu", "Aiono", "Faleolo", "Tuiasosopo", "Vaʻai", "Soliai", "Lealaiauloto", "Fonoti", "Seiuli", "Mataʻafa", "Tago", "Ah Chong", "Schuster", "Fruean", "Tupuola", "Iosefo", "Alapati"],
    aliasFirsts: { Tavita: "Dave", Ioane: "Johnny", Iosefa: "Joe", Malia: "Maria", Mikaele: "Mike", Elisapeta: "Elizabeth" },
    foreignPassport: "WSM",
    visas: true,
  },
  {
    name: "Tongan",
    share: 5,
    firsts: ["Sione", "Siosaia", "Mele", "Losaline", "Viliami", "Tevita", "ʻAna", "Sālote", "Lupe", "Taniela", "Semisi", "Lavinia", "Sitiveni", "Mosese", "Paula", "Kalolaine", "ʻOfa", "Sitani", "Tēvita-Lui", "Pita-Vaka"],
    middles: ["Fakaʻosi", "Hufanga", "Kaufusi", "Latu", "Mahe", "Vea"],
    surnames: ["Tuʻipulotu", "Fifita", "Taufa", "Vaipulu", "Kioa", "Halaholo", "Tonga", "Maʻafu", "Havili", "Moala", "Fonua", "Fakatava", "Lātū", "Taumalolo", "Veikune", "ʻAhoʻia", "Kupu", "Naufahu", "Piutau", "Vainikolo"],
    aliasFirsts: { Sione: "John", Viliami: "William", Tevita: "David", Taniela: "Daniel", Semisi: "Jimmy", Mosese: "Moses" },
    foreignPassport: "TON",
    visas: true,
  },
  {
    name: "Fijian",
    share: 3,
    firsts: ["Josefa", "Litia", "Seru", "Vilimone", "Akanisi", "Timoci", "Sereana", "Isoa", "Miliakere", "Peni", "Apisai", "Unaisi", "Epeli", "Losana", "Jone", "Kelera", "Ilisoni", "Adi-Mere", "Samisoni", "Vasemaca"],
    middles: ["Bulavou", "Cakau", "Dakuwaqa", "Lomaloma", "Tuvuki", "Vosailagi"],
    surnames: ["Naivalu", "Rabuka", "Tuilau", "Vunibaka", "Qarase", "Delana", "Ratuva", "Nawalu", "Koroi", "Waqa", "Tuidraki", "Baleilevuka", "Raikadroka", "Vakaloloma", "Nasilasila", "Ravouvou", "Seruvakula", "Tikoisuva", "Volavola", "Nadolo"],
    aliasFirsts: { Josefa: "Joseph", Timoci: "Timothy", Jone: "Johnny", Samisoni: "Sam" },
    foreignPassport: "FJI",
    visas: true,
  },
  {
    name: "Cook Islands Māori",
    share: 3,
    firsts: ["Teina", "Ngametua", "Mii", "Tangi", "Rima", "Tuaine", "Teuira", "Marama", "Ngatoko", "Tepaki", "Mata", "Tiare", "Vaine", "Tupe", "Ruaau", "Nooroa", "Teariki-Nui", "Moeroa", "Rongo", "Tekura"],
    middles: ["Akatauira", "Maoate", "Pokoati", "Tutakiao", "Vaeau", "Upokotini"],
    surnames: ["Tangaroa", "Marsters", "Puna", "Tuara", "Mataiapo", "Ngamata", "Teariki", "Tou", "Taio", "Pokino", "Tuteru", "Vakapora", "Matapo", "Numanga", "Rima-Tūpou", "Henry-Tere", "Ioane-Kea", "Tuakana", "Areai", "Kaitara"],
    aliasFirsts: {},
    foreignPassport: undefined,
    visas: false,
  },
  {
    name: "Chinese",
    share: 10,
    firsts: ["Wei", "Jing", "Xiaoming", "Yan", "Hui", "Jun", "Ling", "Min", "Ping", "Qiang", "Fang", "Lei", "Yong", "Xin", "Hao", "Mei", "Tao", "Bo", "Ying", "Zhen", "Jie", "Na", "Chao", "Rui", "Kai", "Lan", "Xue", "Yu", "Dong", "Hua"],
    middles: [],
    surnames: ["Chen", "Wang", "Li", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"],
    aliasFirsts: { Wei: "David", Jing: "Jenny", Xiaoming: "Kevin", Yan: "Grace", Hui: "Helen", Jun: "Jason", Ling: "Linda", Min: "Mindy", Ping: "Peter", Qiang: "Vincent", Fang: "Fiona", Lei: "Ray", Yong: "Eric", Xin: "Cindy", Hao: "Howard" },
    foreignPassport: "CHN",
    visas: true,
  },
  {
    name: "Indian",
    share: 10,
    firsts: ["Priya", "Rahul", "Arjun", "Ananya", "Rohan", "Deepak", "Sunita", "Harpreet", "Gurpreet", "Manpreet", "Amit", "Sanjay", "Pooja", "Kavita", "Vikram", "Neha", "Ravi", "Anjali", "Suresh", "Lakshmi", "Rajesh", "Divya", "Karan", "Meera", "Nikhil", "Shalini", "Varun", "Isha", "Ashwin", "Jaspreet"],
    middles: ["Kumari", "Devi", "Lal", "Nath", "Prakash", "Chandra"],
    surnames: ["Patel", "Singh", "Sharma", "Kumar", "Kaur", "Gupta", "Reddy", "Nair", "Shah", "Mehta", "Chand", "Prasad", "Naidu", "Iyer", "Desai", "Joshi", "Verma", "Rao", "Pillai", "Bhatt", "Sandhu", "Gill", "Dhillon", "Grewal", "Menon", "Krishnan", "Chaudhary", "Malhotra", "Kapoor", "Bose"],
    aliasFirsts: { Rahul: "Raj", Harpreet: "Harry", Gurpreet: "Gary", Manpreet: "Manny", Vikram: "Vic", Rajesh: "Roger" },
    foreignPassport: "IND",
    visas: true,
  },
];

/** Localities, trades and suffixes for synthetic organisation names. */
export const ORGANISATION_PLACES = ["Tāmaki", "Ōpōtiki", "Mātaura", "Manukau", "Waikato", "Tauranga", "Whakatāne", "Porirua", "Southland", "Kaitāia", "Gisborne", "Rotorua", "Hastings", "Nelson", "Timaru", "Whanganui"];
export const ORGANISATION_TRADES = ["Horticulture", "Construction", "Hospitality", "Beauty", "Labour Hire", "Freight", "Imports", "Logistics", "Kiwifruit Contracting", "Cleaning Services", "Scaffolding", "Nails & Spa", "Vineyard Services", "Trading", "Auto Parts", "Security"];
export const ORGANISATION_SUFFIXES = ["Limited", "Ltd", "Holdings Limited", "Group Limited", "NZ Limited", "Services Limited"];
