-- The automatic tagger's vocabulary, and which tags it set.
--
-- keywords: the terms that mark a country or a theme in a headline, as a
-- JSON array of strings (see internal/classify for how a term matches: a
-- word in capitals matches only those capitals, a name matches that word,
-- a lower-case word also matches its inflections, "cyber*" any word that
-- begins so, and "-Latin America" is a phrase that is no mention). A
-- country also matches its name; a theme matches only its keywords, which
-- editors change through the themes API. Country aliases stay what users
-- may write in filters: a filter for "Kremlin" would be odd, a headline
-- about the Kremlin is about Russia.
--
-- auto_tags: which of an article's tag lists the tagger filled, as bits:
-- 1 countries, 2 themes. Existing articles were tagged by hand (0).

-- +goose Up
ALTER TABLE countries ADD COLUMN keywords TEXT NOT NULL DEFAULT '[]';
ALTER TABLE themes ADD COLUMN keywords TEXT NOT NULL DEFAULT '[]';
ALTER TABLE articles ADD COLUMN auto_tags SMALLINT NOT NULL DEFAULT 0;

-- Every country's aliases are terms too, then the richer lists of the
-- countries this section writes about most.
UPDATE countries SET keywords = aliases;
UPDATE countries SET keywords = '["DPRK", "Democratic People''s Republic of Korea", "N. Korea", "North Korean", "North Koreans", "Koreas", "inter-Korean", "Pyongyang", "Kim Jong Un", "Kim Yo Jong", "Kim Jong Il", "Kim Il Sung", "Choe Son Hui", "Pak Thae Song", "KCNA", "Korean Central News Agency", "Rodong Sinmun", "Workers'' Party of Korea", "KPA", "Korean People''s Army", "Wonsan", "Kaesong", "Sinuiju", "Rason", "Nampo", "Yongbyon", "Sohae", "Punggye-ri", "Masikryong"]' WHERE code = 'KP';
UPDATE countries SET keywords = '["ROK", "Republic of Korea", "S. Korea", "South Korean", "South Koreans", "Koreas", "inter-Korean", "Seoul", "Lee Jae-myung", "Yoon Suk Yeol", "Moon Jae-in", "Chung Dong-young", "Busan", "Incheon", "Unification Ministry", "Ministry of Unification", "National Intelligence Service", "Yonhap"]' WHERE code = 'KR';
UPDATE countries SET keywords = '["Russian Federation", "Russian", "Russians", "Moscow", "Kremlin", "Putin", "Lavrov", "Shoigu", "Belousov", "Peskov", "Medvedev", "Zakharova", "Kursk", "Vladivostok", "Khabarovsk", "Primorye", "Khasan", "Rosatom", "Soviet", "Soviet Union", "USSR"]' WHERE code = 'RU';
UPDATE countries SET keywords = '["PRC", "People''s Republic of China", "Mainland China", "Chinese", "Beijing", "Xi Jinping", "Xi", "Wang Yi", "Li Qiang", "Dandong", "Shenyang", "Liaoning", "Jilin", "Yanbian", "Hunchun", "Xinhua", "Global Times", "-East China Sea", "-South China Sea"]' WHERE code = 'CN';
UPDATE countries SET keywords = '["USA", "United States of America", "America", "U.S.", "U.S.A.", "US", "American", "Americans", "Washington", "White House", "Pentagon", "State Department", "Treasury Department", "Justice Department", "FBI", "OFAC", "Trump", "Biden", "Rubio", "Hegseth", "USFK", "Hawaii", "-Latin America", "-South America", "-Central America", "-North America"]' WHERE code = 'US';
UPDATE countries SET keywords = '["Japanese", "Tokyo", "Ishiba", "Shigeru Ishiba", "Takaichi", "Kishida", "Shinzo Abe", "Osaka", "Hokkaido", "Okinawa", "Niigata", "Self-Defense Forces", "JSDF", "Kyodo"]' WHERE code = 'JP';
UPDATE countries SET keywords = '["Ukrainian", "Ukrainians", "Kyiv", "Kiev", "Zelensky", "Zelenskyy", "Kharkiv", "Donbas", "Donetsk", "Luhansk", "Odesa", "Zaporizhzhia"]' WHERE code = 'UA';
UPDATE countries SET keywords = '["Aotearoa", "New Zealander", "New Zealanders", "Wellington", "Auckland", "Winston Peters", "Luxon"]' WHERE code = 'NZ';
UPDATE countries SET keywords = '["UK", "U.K.", "Britain", "Great Britain", "British", "Briton", "Britons", "London", "Downing Street", "Starmer", "England", "Scotland", "Northern Ireland", "-British Columbia"]' WHERE code = 'GB';
UPDATE countries SET keywords = '["French", "Paris", "Macron", "Elysee", "Élysée"]' WHERE code = 'FR';
UPDATE countries SET keywords = '["Federal Republic of Germany", "German", "Germans", "Berlin", "Merz", "Scholz", "Bundeswehr"]' WHERE code = 'DE';
UPDATE countries SET keywords = '["Italian", "Rome", "Meloni"]' WHERE code = 'IT';
UPDATE countries SET keywords = '["Spanish", "Madrid"]' WHERE code = 'ES';
UPDATE countries SET keywords = '["Canadian", "Canadians", "Ottawa", "Carney", "Trudeau", "Toronto", "Vancouver"]' WHERE code = 'CA';
UPDATE countries SET keywords = '["Australian", "Australians", "Canberra", "Albanese", "Sydney"]' WHERE code = 'AU';
UPDATE countries SET keywords = '["Indian", "New Delhi", "Delhi", "Modi", "-Indian Ocean"]' WHERE code = 'IN';
UPDATE countries SET keywords = '["Israeli", "Israelis", "Jerusalem", "Tel Aviv", "Netanyahu", "IDF", "Mossad"]' WHERE code = 'IL';
UPDATE countries SET keywords = '["Islamic Republic of Iran", "Iranian", "Iranians", "Tehran", "Khamenei", "Pezeshkian", "IRGC"]' WHERE code = 'IR';
UPDATE countries SET keywords = '["Syrian Arab Republic", "Syrian", "Damascus", "Assad"]' WHERE code = 'SY';
UPDATE countries SET keywords = '["Viet Nam", "Vietnamese", "Hanoi", "Ho Chi Minh City"]' WHERE code = 'VN';
UPDATE countries SET keywords = '["Lao People''s Democratic Republic", "Lao", "Laotian", "Vientiane"]' WHERE code = 'LA';
UPDATE countries SET keywords = '["Mongolian", "Ulaanbaatar", "Ulan Bator"]' WHERE code = 'MN';
UPDATE countries SET keywords = '["Thai", "Bangkok"]' WHERE code = 'TH';
UPDATE countries SET keywords = '["Malaysian", "Kuala Lumpur"]' WHERE code = 'MY';
UPDATE countries SET keywords = '["Singaporean"]' WHERE code = 'SG';
UPDATE countries SET keywords = '["Indonesian", "Jakarta"]' WHERE code = 'ID';
UPDATE countries SET keywords = '["Philippine", "Filipino", "Manila"]' WHERE code = 'PH';
UPDATE countries SET keywords = '["Cambodian", "Phnom Penh"]' WHERE code = 'KH';
UPDATE countries SET keywords = '["Burma", "Burmese", "Naypyidaw"]' WHERE code = 'MM';
UPDATE countries SET keywords = '["Republic of China", "Chinese Taipei", "Taiwanese", "Taipei"]' WHERE code = 'TW';
UPDATE countries SET keywords = '[]' WHERE code = 'HK';
UPDATE countries SET keywords = '["Macau"]' WHERE code = 'MO';
UPDATE countries SET keywords = '["Pakistani", "Islamabad"]' WHERE code = 'PK';
UPDATE countries SET keywords = '["Bangladeshi", "Dhaka"]' WHERE code = 'BD';
UPDATE countries SET keywords = '["Nepali", "Nepalese", "Kathmandu"]' WHERE code = 'NP';
UPDATE countries SET keywords = '["Sri Lankan", "Colombo"]' WHERE code = 'LK';
UPDATE countries SET keywords = '["Cuban", "Havana"]' WHERE code = 'CU';
UPDATE countries SET keywords = '["Bolivarian Republic of Venezuela", "Venezuelan", "Caracas", "Maduro"]' WHERE code = 'VE';
UPDATE countries SET keywords = '["Nicaraguan", "Managua"]' WHERE code = 'NI';
UPDATE countries SET keywords = '["Brazilian", "Brasilia", "Brasília", "Lula"]' WHERE code = 'BR';
UPDATE countries SET keywords = '["Mexican", "Mexico City"]' WHERE code = 'MX';
UPDATE countries SET keywords = '["Belarusian", "Minsk", "Lukashenko"]' WHERE code = 'BY';
UPDATE countries SET keywords = '["Polish", "Poles", "Warsaw"]' WHERE code = 'PL';
UPDATE countries SET keywords = '["Egyptian", "Cairo"]' WHERE code = 'EG';
UPDATE countries SET keywords = '["Saudi", "Riyadh"]' WHERE code = 'SA';
UPDATE countries SET keywords = '["UAE", "Emirati", "Abu Dhabi", "Dubai"]' WHERE code = 'AE';
UPDATE countries SET keywords = '["Qatari", "Doha"]' WHERE code = 'QA';
UPDATE countries SET keywords = '["Turkey", "Turkiye", "Turkish", "Ankara", "Erdogan", "Erdoğan"]' WHERE code = 'TR';
UPDATE countries SET keywords = '["Iraqi", "Baghdad"]' WHERE code = 'IQ';
UPDATE countries SET keywords = '["Lebanese", "Beirut", "Hezbollah"]' WHERE code = 'LB';
UPDATE countries SET keywords = '["Yemeni", "Sanaa", "Houthi", "Houthis"]' WHERE code = 'YE';
UPDATE countries SET keywords = '["Kazakh", "Astana"]' WHERE code = 'KZ';
UPDATE countries SET keywords = '["Uzbek", "Tashkent"]' WHERE code = 'UZ';
UPDATE countries SET keywords = '["Azerbaijani", "Baku"]' WHERE code = 'AZ';
UPDATE countries SET keywords = '["Armenian", "Yerevan"]' WHERE code = 'AM';
UPDATE countries SET keywords = '["Georgian", "Tbilisi"]' WHERE code = 'GE';
UPDATE countries SET keywords = '["Finnish", "Helsinki"]' WHERE code = 'FI';
UPDATE countries SET keywords = '["Swedish", "Stockholm"]' WHERE code = 'SE';
UPDATE countries SET keywords = '["Norwegian", "Oslo"]' WHERE code = 'NO';
UPDATE countries SET keywords = '["Danish", "Copenhagen"]' WHERE code = 'DK';
UPDATE countries SET keywords = '["Holland", "The Netherlands", "Dutch", "Amsterdam", "Hague"]' WHERE code = 'NL';
UPDATE countries SET keywords = '["Belgian", "Brussels"]' WHERE code = 'BE';
UPDATE countries SET keywords = '["Swiss", "Geneva", "Bern"]' WHERE code = 'CH';
UPDATE countries SET keywords = '["Austrian"]' WHERE code = 'AT';
UPDATE countries SET keywords = '["Czech Republic", "Czech", "Prague"]' WHERE code = 'CZ';
UPDATE countries SET keywords = '["Hungarian", "Budapest"]' WHERE code = 'HU';
UPDATE countries SET keywords = '["Romanian", "Bucharest"]' WHERE code = 'RO';
UPDATE countries SET keywords = '["Bulgarian", "Sofia"]' WHERE code = 'BG';
UPDATE countries SET keywords = '["Greek", "Athens"]' WHERE code = 'GR';
UPDATE countries SET keywords = '["Portuguese", "Lisbon"]' WHERE code = 'PT';
UPDATE countries SET keywords = '["Irish", "Dublin", "-Northern Ireland"]' WHERE code = 'IE';
UPDATE countries SET keywords = '["South African", "Pretoria", "Johannesburg"]' WHERE code = 'ZA';
UPDATE countries SET keywords = '["Nigerian", "Abuja", "Lagos"]' WHERE code = 'NG';
UPDATE countries SET keywords = '["Ethiopian", "Addis Ababa"]' WHERE code = 'ET';
UPDATE countries SET keywords = '["Ugandan", "Kampala"]' WHERE code = 'UG';
UPDATE countries SET keywords = '["Angolan", "Luanda"]' WHERE code = 'AO';
UPDATE countries SET keywords = '["United Republic of Tanzania", "Tanzanian", "Dar es Salaam"]' WHERE code = 'TZ';
UPDATE countries SET keywords = '["Zimbabwean", "Harare"]' WHERE code = 'ZW';
UPDATE countries SET keywords = '["Namibian", "Windhoek"]' WHERE code = 'NA';
UPDATE countries SET keywords = '["Eritrean", "Asmara"]' WHERE code = 'ER';
UPDATE countries SET keywords = '["Sudanese", "Khartoum"]' WHERE code = 'SD';
UPDATE countries SET keywords = '["Kenyan", "Nairobi"]' WHERE code = 'KE';
UPDATE countries SET keywords = '["Algerian", "Algiers"]' WHERE code = 'DZ';
UPDATE countries SET keywords = '["Argentine", "Argentinian", "Buenos Aires"]' WHERE code = 'AR';
UPDATE countries SET keywords = '["Chilean", "Santiago"]' WHERE code = 'CL';
UPDATE countries SET keywords = '["Peruvian"]' WHERE code = 'PE';
UPDATE countries SET keywords = '["Colombian", "Bogota", "Bogotá"]' WHERE code = 'CO';
UPDATE countries SET keywords = '["State of Palestine", "Palestinian Territories", "Palestinian", "Palestinians", "Gaza", "West Bank", "Hamas"]' WHERE code = 'PS';
UPDATE countries SET keywords = '["Chadian", "N''Djamena", "-Chad O''Carroll"]' WHERE code = 'TD';
UPDATE countries SET keywords = '["Reunion Island", "Réunion Island", "La Réunion", "-Reunion", "-Réunion"]' WHERE code = 'RE';
UPDATE countries SET keywords = '["-New Jersey"]' WHERE code = 'JE';
UPDATE countries SET keywords = '["Jordanian", "Amman"]' WHERE code = 'JO';
UPDATE countries SET keywords = '["Nigerien", "Niamey"]' WHERE code = 'NE';
UPDATE countries SET keywords = '["Libyan", "Tripoli"]' WHERE code = 'LY';
UPDATE countries SET keywords = '["Guinean", "Conakry", "-Gulf of Guinea"]' WHERE code = 'GN';

UPDATE themes SET keywords = '["sanction", "embargo", "export control", "blacklist", "asset freeze", "OFAC", "ship-to-ship", "illicit", "travel ban", "Panel of Experts", "restrictive measure", "smuggl*", "front company", "front firm"]' WHERE slug = 'sanctions';
UPDATE themes SET keywords = '["trade", "trader", "export", "import", "customs", "commerce", "smuggl*", "tariff", "barter", "economic cooperation", "economic ties", "investment", "trade fair"]' WHERE slug = 'trade';
UPDATE themes SET keywords = '["troop", "soldier", "military", "army", "drill", "joint exercise", "deploy", "deployment", "artillery", "ammunition", "munition", "weapon", "arms", "war", "warship", "navy", "naval", "air force", "fighter jet", "combat", "battlefield", "front line", "frontline", "defense minister", "defence minister", "defense ministry", "defence ministry", "mine clearance", "-trade war", "-Korean War", "-war of words", "-Cold War"]' WHERE slug = 'troops';
UPDATE themes SET keywords = '["diplomacy", "diplomatic", "diplomat", "talk", "summit", "envoy", "ambassador", "embassy", "foreign minister", "foreign ministry", "meet", "visit", "delegation", "counterpart", "treaty", "bilateral", "trilateral", "G7", "G20", "ASEAN", "UN General Assembly", "dialogue", "negotiat*", "normalization"]' WHERE slug = 'diplomacy';
UPDATE themes SET keywords = '["aid", "humanitarian", "food aid", "donat*", "donor", "relief", "tuberculosis", "vaccine", "medical supplies", "medicine", "food shortage", "famine", "malnutrition", "UNICEF", "WFP", "World Food Programme", "Red Cross", "-military aid", "-teaching aid"]' WHERE slug = 'aid';
UPDATE themes SET keywords = '["labor", "labour", "worker", "laborer", "labourer", "workforce", "forced labor", "forced labour", "IT worker"]' WHERE slug = 'labor';
UPDATE themes SET keywords = '["nuclear", "missile", "ICBM", "IRBM", "SLBM", "warhead", "uranium", "plutonium", "enrichment", "nonproliferation", "non-proliferation", "denucleariz*", "denuclearis*", "ballistic", "atomic", "IAEA", "Yongbyon", "Punggye-ri", "satellite launch", "hypersonic", "NPT", "nuclear weapon"]' WHERE slug = 'nuclear';
UPDATE themes SET keywords = '["culture", "cultural", "film", "festival", "cinema", "art", "artist", "music", "concert", "museum", "exhibition", "sport", "football", "soccer", "Olympic", "Olympics", "Asian Games", "athlete", "taekwondo", "K-pop", "theater", "theatre", "orchestra", "literature", "heritage", "UNESCO"]' WHERE slug = 'culture';
UPDATE themes SET keywords = '["tourism", "tourist", "tour", "travel", "travel agency", "visitor", "resort", "Wonsan-Kalma", "Masikryong", "holidaymaker", "sightseeing", "tour group", "-inspection tour", "-travel ban"]' WHERE slug = 'tourism';
UPDATE themes SET keywords = '["infrastructure", "bridge", "railway", "rail", "railroad", "highway", "checkpoint", "construction", "rebuild", "reconstruction", "port", "tunnel", "airport", "power plant", "power grid", "pipeline", "dam", "canal"]' WHERE slug = 'infrastructure';
UPDATE themes SET keywords = '["human rights", "defector", "defect", "defection", "abduct*", "forced repatriation", "repatriation", "refugee", "prison camp", "political prisoner", "detainee", "detention", "torture", "forced labor", "forced labour", "persecution", "religious freedom", "Special Rapporteur", "public execution"]' WHERE slug = 'human-rights';
UPDATE themes SET keywords = '["cyber*", "hack", "hacker", "crypto*", "Lazarus", "ransomware", "malware", "phishing", "IT worker", "blockchain", "bitcoin", "heist"]' WHERE slug = 'cyber';

-- +goose Down
ALTER TABLE articles DROP COLUMN auto_tags;
ALTER TABLE themes DROP COLUMN keywords;
ALTER TABLE countries DROP COLUMN keywords;

